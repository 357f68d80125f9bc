// Opcode walker for OrderedDictsAsDicts (see the header for why it exists).
#include "golden/pickle_rewrite.h"

#include <algorithm>
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
  out.reserve(p.size() + 64);
  // The stack's shape, enough to rewrite BUILD and to refuse what LibTorch 1.13 would read
  // past its own buffers (it checks little): per item, the offset in `out` where the opcodes
  // that built it begin, what it is ("global:torch.FloatStorage", "str:storage", "persid",
  // "mark", or "" for anything else).
  // depth: how deeply the item nests (0 for a number or string); LibTorch's unpickler and
  // IValue destructor recurse per level, so 300,000 nested tuples overflowed its stack.
  struct Item {
    size_t begin;
    std::string kind;
    int depth = 0;
  };
  std::vector<Item> stack;
  std::vector<size_t> marks;      // positions in `stack` of the marks
  std::vector<std::string> memo;  // the kind memoized in each slot, numbered as Python does
  std::set<uint64_t> class_memo;  // slots that held the OrderedDict class (not written out)
  auto floor = [&] { return marks.empty() ? size_t{0} : marks.back() + 1; };
  // A state_dict nests 4 levels (dict, rebuild call, arguments, size tuple) and _metadata 3;
  // its stack holds a few thousand items at once (Python batches SETITEMS by 1,000).
  constexpr int kMaxDepth = 64;
  constexpr size_t kMaxStack = 100000;
  auto deepest = [](const std::vector<Item>& items, size_t from = 0) {
    int d = 0;
    for (size_t i = from; i < items.size(); ++i) d = std::max(d, items[i].depth);
    return d;
  };
  auto need = [&](size_t n, size_t at_byte) {
    if (stack.size() < floor() + n) fail("stack underflow", at_byte);
  };
  auto pop = [&](size_t n, size_t at_byte) {
    need(n, at_byte);
    const size_t begin = stack[stack.size() - n].begin;
    stack.resize(stack.size() - n);
    return begin;
  };
  // The items above the last mark: the mark is removed, the items are returned.
  auto take_to_mark = [&](size_t at_byte) {
    if (marks.empty()) fail("no MARK to pop to", at_byte);
    const size_t m = marks.back();
    marks.pop_back();
    std::vector<Item> items(stack.begin() + static_cast<std::ptrdiff_t>(m) + 1, stack.end());
    const size_t begin = stack[m].begin;
    stack.resize(m);
    return std::make_pair(begin, items);
  };
  auto container_below = [&](size_t at_byte) {  // SETITEMS/APPENDS need a non-mark below
    if (stack.empty() || stack.back().kind == "mark") fail("nothing to add items to", at_byte);
  };
  auto is_storage_global = [](const std::string& k) {
    return k.rfind("global:torch.", 0) == 0 && k.size() > 7 &&
           k.compare(k.size() - 7, 7, "Storage") == 0;
  };

  bool class_on_stack = false;  // the last opcode pushed the OrderedDict class
  bool empty_args = false;      // ... and EMPTY_TUPLE followed it
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

    // Memo slots: Python numbers them in order, so a slot beyond the next is forged (LibTorch
    // would grow its memo table to the slot number, up to 2^32 entries).
    const bool is_put = op == 'q' || op == 'r', is_get = op == 'h' || op == 'j';
    const uint64_t slot = is_put || is_get ? LittleEndian(arg_bytes, 0, len) : 0;
    if (is_put && slot > memo.size())
      fail("memo slot " + std::to_string(slot) + " out of order", start);
    if (is_get && slot >= memo.size())
      fail("memo slot " + std::to_string(slot) + " never set", start);

    if (class_on_stack) {           // the OrderedDict class: only OrderedDict() is supported
      if (is_put && !empty_args) {  // memoizing the class: not written, every use is rewritten
        class_memo.insert(slot);
        if (slot == memo.size()) memo.emplace_back("ordered-dict-class");
        continue;
      }
      if (op == ')' && !empty_args) {
        empty_args = true;
        continue;
      }
      if (op == 'R' && empty_args) {
        stack.push_back({out.size(), ""});
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
    if (is_get && class_memo.count(slot)) {
      class_on_stack = true;
      continue;
    }
    // LibTorch 1.13's unpickler has no SETITEM (one key: Python writes it for a dict of one
    // item) and cannot apply BUILD to a dict. Both become MARK key value SETITEMS, which it
    // reads: a MARK goes in front of the opcodes that built the key. No item left on the stack
    // begins after that point (the key and value are its top two), so the offsets stay right.
    if (op == 'b') {
      // BUILD obj state: the state (a state_dict's _metadata) is kept under the key
      // "_metadata" instead. Memo slots stay as they were.
      need(2, start);
      static const std::string kKey = std::string("(X\x09\x00\x00\x00", 6) + "_metadata";
      out.insert(stack.back().begin, kKey);
      out += 'u';
      const int d = stack.back().depth + 1;
      stack.pop_back();
      stack.back().depth = std::max(stack.back().depth, d);
      continue;
    }
    if (op == 's') {  // SETITEM: dict, key, value
      need(3, start);
      out.insert(stack[stack.size() - 2].begin, 1, '(');
      out += 'u';
      const int d = deepest(stack, stack.size() - 2) + 1;
      pop(2, start);
      stack.back().depth = std::max(stack.back().depth, d);
      continue;
    }
    const size_t here = out.size();
    out += p.substr(start, at - start);
    switch (op) {
      case '(':
        marks.push_back(stack.size());
        stack.push_back({here, "mark"});
        break;
      case 't': {  // TUPLE; torch.save's storage ids are ('storage', torch.XStorage, key, ...)
        auto [begin, items] = take_to_mark(start);
        const bool persid =
            items.size() == 5 && items[0].kind == "str:storage" && is_storage_global(items[1].kind);
        stack.push_back({begin, persid ? "persid" : "", deepest(items) + 1});
        break;
      }
      case 'l': {
        auto [begin, items] = take_to_mark(start);
        stack.push_back({begin, "", deepest(items) + 1});
        break;
      }
      case 'd': {
        auto [begin, items] = take_to_mark(start);
        if (items.size() % 2) fail("DICT of an odd number of items", start);
        stack.push_back({begin, "", deepest(items) + 1});
        break;
      }
      case 'u':    // SETITEMS
      case 'e': {  // APPENDS
        auto items = take_to_mark(start).second;
        if (op == 'u' && items.size() % 2) fail("SETITEMS of an odd number of items", start);
        container_below(start);
        stack.back().depth = std::max(stack.back().depth, deepest(items) + 1);
        break;
      }
      case 0x85:   // TUPLE1
      case 0x86:   // TUPLE2
      case 0x87:   // TUPLE3
      case 'R': {  // REDUCE: callable and arguments
        const size_t n = op == 'R' ? 2 : static_cast<size_t>(op - 0x84);
        need(n, start);
        const int d = deepest(stack, stack.size() - n) + 1;
        stack.push_back({pop(n, start), "", d});
        break;
      }
      case 'Q':  // BINPERSID
        need(1, start);
        if (stack.back().kind != "persid")
          fail("a persistent id that is not torch.save's storage tuple", start);
        stack.back().kind.clear();
        break;
      case 'a': {  // APPEND: list, value
        need(2, start);
        const int d = stack.back().depth + 1;
        pop(1, start);
        stack.back().depth = std::max(stack.back().depth, d);
        break;
      }
      case 'q':
      case 'r':
        need(1, start);
        if (slot == memo.size())
          memo.push_back(stack.back().kind);
        else
          memo[slot] = stack.back().kind;
        break;
      case 'h':
      case 'j':
        stack.push_back({here, memo[slot]});
        break;
      case 'c':
        stack.push_back({here, "global:" + arg_bytes.substr(0, arg_bytes.find('\n')) + "." +
                                   arg_bytes.substr(arg_bytes.find('\n') + 1,
                                                    arg_bytes.size() - arg_bytes.find('\n') - 2)});
        break;
      case 'X':
      case 0x8c: {  // BINUNICODE, SHORT_BINUNICODE
        const size_t n = op == 'X' ? 4 : 1;
        stack.push_back({here, "str:" + arg_bytes.substr(n, 16)});
        break;
      }
      case 0x80:
      case 0x95:
      case '.':
        break;  // protocol, framing, stop: no stack effect
      case '0':
      case '1':
      case '2':
      case 'o':
      case 'i':
      case 'p':
      case 'g':
      case 'P':
      case 0x81:
      case 0x82:
      case 0x83:
      case 0x84:
      case 0x8f:
      case 0x90:
      case 0x91:
      case 0x92:
      case 0x93:
      case 0x94:
        fail("opcode " + std::to_string(op) + ", which LibTorch's unpickler cannot read,", start);
        break;
      default:  // every other opcode pushes one item
        stack.push_back({here, ""});
    }
    if (!stack.empty() && stack.back().depth > kMaxDepth)
      fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels", start);
    if (stack.size() > kMaxStack)
      fail("more than " + std::to_string(kMaxStack) + " items on the stack", start);
    if (op == '.') return out;
  }
  fail("no STOP opcode", p.size());
  return out;
}

}  // namespace sa::golden
