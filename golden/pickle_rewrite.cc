// Opcode walker for OrderedDictsAsDicts (see the header for why it exists).
#include "golden/pickle_rewrite.h"

#include <cstdint>
#include <set>
#include <stdexcept>
#include <vector>

namespace sa::golden {
namespace {

// Bytes of argument after an opcode: fixed sizes, length-prefixed, or newline-terminated lines.
enum class Arg { kNone, kFixed, kLen1, kLen4, kLen8, kLine, kTwoLines, kUnknown };

Arg ArgOf(unsigned char op, size_t* fixed) {
  *fixed = 0;
  switch (op) {
    case '(':
    case '.':
    case '0':
    case '1':
    case '2':
    case 'N':
    case 'R':
    case 'a':
    case 'b':
    case 'd':
    case '}':
    case 'e':
    case 'l':
    case ']':
    case 'o':
    case 's':
    case 't':
    case ')':
    case 'u':
    case 'Q':
    case 0x81:
    case 0x85:
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89:
    case 0x8f:
    case 0x90:
    case 0x91:
    case 0x92:
    case 0x93:
    case 0x94:
      return Arg::kNone;
    case 'K':
    case 'h':
    case 'q':
    case 0x80:
    case 0x82:
      *fixed = 1;
      return Arg::kFixed;
    case 'M':
    case 0x83:
      *fixed = 2;
      return Arg::kFixed;
    case 'J':
    case 'j':
    case 'r':
    case 0x84:
      *fixed = 4;
      return Arg::kFixed;
    case 'G':
    case 0x95:
      *fixed = 8;
      return Arg::kFixed;
    case 'U':
    case 'C':
    case 0x8c:
    case 0x8a:
      return Arg::kLen1;
    case 'X':
    case 'T':
    case 'B':
    case 0x8b:
      return Arg::kLen4;
    case 0x8d:
    case 0x8e:
      return Arg::kLen8;
    case 'I':
    case 'L':
    case 'F':
    case 'S':
    case 'V':
    case 'g':
    case 'p':
    case 'P':
      return Arg::kLine;
    case 'c':
    case 'i':
      return Arg::kTwoLines;
    default:
      return Arg::kUnknown;
  }
}

uint64_t LittleEndian(const std::string& s, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && at + i < s.size(); ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

}  // namespace

std::string OrderedDictsAsDicts(const std::string& p, const std::string& what) {
  auto fail = [&](const std::string& why, size_t at) {
    throw std::runtime_error(what + ": " + why + " at byte " + std::to_string(at) +
                             " of its pickle");
  };
  std::string out;
  out.reserve(p.size());
  // The stack's shape: for each item, the offset in `out` where the opcodes that built it
  // begin; enough to cut a BUILD's state out of the program. Marks are items too.
  std::vector<size_t> stack;
  std::vector<size_t> marks;  // positions in `stack` of the marks
  auto pop_to_mark = [&](size_t at_byte) {
    if (marks.empty()) fail("no MARK to pop to", at_byte);
    const size_t m = marks.back();
    marks.pop_back();
    const size_t begin = stack[m];
    stack.resize(m);
    return begin;
  };
  auto pop = [&](size_t n, size_t at_byte) {
    const size_t floor = marks.empty() ? 0 : marks.back() + 1;
    if (stack.size() < floor + n) fail("stack underflow", at_byte);
    const size_t begin = stack[stack.size() - n];
    stack.resize(stack.size() - n);
    return begin;
  };
  auto effect = [&](unsigned char op, size_t here, size_t at_byte) {
    switch (op) {
      case '(':
        marks.push_back(stack.size());
        stack.push_back(here);
        break;
      case 't':
      case 'l':
      case 'd':  // TUPLE, LIST, DICT: the items since the mark -> one
        stack.push_back(pop_to_mark(at_byte));
        break;
      case 'u':
      case 'e':  // SETITEMS, APPENDS: into the item below the mark
        pop_to_mark(at_byte);
        break;
      case 0x85:
        stack.push_back(pop(1, at_byte));
        break;  // TUPLE1
      case 0x86:
        stack.push_back(pop(2, at_byte));
        break;  // TUPLE2
      case 0x87:
        stack.push_back(pop(3, at_byte));
        break;  // TUPLE3
      case 'R':
      case 0x81:
        stack.push_back(pop(2, at_byte));
        break;  // REDUCE, NEWOBJ
      case 'Q':
        stack.push_back(pop(1, at_byte));
        break;  // BINPERSID
      case 's':
        pop(2, at_byte);
        break;  // SETITEM
      case 'a':
        pop(1, at_byte);
        break;  // APPEND
      case 'q':
      case 'r':
      case 'p':
      case 0x80:
      case 0x95:
      case 0x94:
      case '.':
        break;  // memo, protocol and framing: no stack effect
      case '0':
      case '1':
      case '2':
      case 'o':
      case 'i':
      case 0x82:
      case 0x83:
      case 0x84:
      case 0x8f:
      case 0x90:
      case 0x91:
      case 0x92:
      case 0x93:
        fail("opcode " + std::to_string(op) + ", which torch.save does not write,", at_byte);
        break;
      default:  // every other opcode pushes one item
        stack.push_back(here);
    }
  };

  std::set<uint64_t> class_memo;  // memo slots that hold the OrderedDict class
  bool class_on_stack = false;    // the last opcode pushed the OrderedDict class
  bool empty_args = false;        // ... and EMPTY_TUPLE followed it
  size_t at = 0;
  while (at < p.size()) {
    const size_t start = at;
    const unsigned char op = static_cast<unsigned char>(p[at++]);
    size_t fixed = 0;
    const Arg arg = ArgOf(op, &fixed);
    size_t len = 0;
    switch (arg) {
      case Arg::kUnknown:
        fail("unknown opcode " + std::to_string(op), start);
        break;
      case Arg::kNone:
        break;
      case Arg::kFixed:
        len = fixed;
        break;
      case Arg::kLen1:
      case Arg::kLen4:
      case Arg::kLen8: {
        const size_t n = arg == Arg::kLen1 ? 1 : arg == Arg::kLen4 ? 4 : 8;
        if (at + n > p.size()) fail("truncated", start);
        const uint64_t body = LittleEndian(p, at, n);
        if (body > p.size()) fail("argument longer than the pickle", start);
        len = n + static_cast<size_t>(body);
        break;
      }
      case Arg::kLine:
      case Arg::kTwoLines: {
        size_t end = p.find('\n', at);
        if (end != std::string::npos && arg == Arg::kTwoLines) end = p.find('\n', end + 1);
        if (end == std::string::npos) fail("unterminated line argument", start);
        len = end + 1 - at;
        break;
      }
    }
    if (at + len > p.size()) fail("truncated", start);
    const std::string arg_bytes = p.substr(at, len);
    at += len;

    if (class_on_stack) {  // the OrderedDict class: only OrderedDict() is supported
      if ((op == 'q' || op == 'r') && !empty_args) {
        // Memoizing the class: dropped, as every later use of the slot is rewritten.
        class_memo.insert(LittleEndian(arg_bytes, 0, len));
        continue;
      }
      if (op == ')' && !empty_args) {
        empty_args = true;
        continue;
      }
      if (op == 'R' && empty_args) {
        stack.push_back(out.size());
        out += '}';  // OrderedDict() -> {}
        class_on_stack = empty_args = false;
        continue;
      }
      fail("collections.OrderedDict used other than as OrderedDict()", start);
    }
    if (op == 'c' && arg_bytes == "collections\nOrderedDict\n") {
      class_on_stack = true;
      continue;
    }
    if ((op == 'h' || op == 'j') && class_memo.count(LittleEndian(arg_bytes, 0, len))) {
      class_on_stack = true;
      continue;
    }
    if (op == 'b') {  // BUILD: cut out the program that made the state; the object stays
      if (stack.size() < 2 || (!marks.empty() && stack.size() < marks.back() + 3))
        fail("BUILD on a short stack", start);
      out.resize(stack.back());
      stack.pop_back();
      continue;
    }
    const size_t here = out.size();
    out += p.substr(start, at - start);
    effect(op, here, start);
    if (op == '.') return out;
  }
  fail("no STOP opcode", p.size());
  return out;
}

}  // namespace sa::golden
