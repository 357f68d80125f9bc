// The DUT contract in C++: the one place that names the core's ports. Everything that drives a
// core (the fast and pin-level harnesses, the RTL unit tests, the benches) expands these lists,
// so renaming or adding a port is one edit here and a compile error wherever a use is missing.
// The contract itself (widths, handshakes, latency assumptions) is in docs/dut-contract.md.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

// X(port_name, PinsIn/PinsOut member). Single-bit inputs, driven every cycle.
#define SA_DUT_BIT_INPUTS(X)    \
  X(rst_ni, rst_n)              \
  X(wgt_valid_i, wgt_valid)     \
  X(act_valid_i, act_valid)     \
  X(act_last_i, act_last)       \
  X(act_acc_first_i, acc_first) \
  X(act_acc_last_i, acc_last)   \
  X(act_relu_i, relu)           \
  X(act_wgt2_i, wgt2)           \
  X(psum_ready_i, psum_ready)
// Multi-bit inputs: Cols x WgtWidth weights, Rows (2 x Rows with the 2-bit mode) x ActWidth
// activations.
#define SA_DUT_WORD_INPUTS(X) \
  X(wgt_data_i, wgt_data)     \
  X(act_data_i, act_data)
// Single-bit outputs; the contract requires them to depend on registers only.
#define SA_DUT_BIT_OUTPUTS(X) \
  X(wgt_ready_o, wgt_ready)   \
  X(act_ready_o, act_ready)   \
  X(psum_valid_o, psum_valid) \
  X(overflow_o, overflow)     \
  X(busy_o, busy)
// Multi-bit output: Cols x PsumWidth released sums.
#define SA_DUT_WORD_OUTPUTS(X) X(psum_data_o, psum_data)
#define SA_DUT_CLOCK clk_i

namespace sa::sim {

// Input data ports of up to 512 bits (64 lanes of 8 bits), as 32-bit words, bit 0 first:
// Verilator's own layout for ports wider than 64 bits (VlWide).
constexpr int kMaxInputWords = 16;  // the CMake check keeps act_lanes x ActWidth <= 512
// Output data ports of up to 4096 bits (64 columns of 64-bit sums).
constexpr int kMaxOutputWords = 128;

struct Bits {
  std::array<uint32_t, kMaxInputWords> words{};
  void Clear(int width) {
    for (int i = 0; i < (width + 31) / 32; ++i) words[static_cast<size_t>(i)] = 0;
  }
  // Writes the low `width` (<= 32) bits of `value` at bit `lsb`.
  void Put(int lsb, int width, uint64_t value) {
    const uint64_t v = value & ((uint64_t{1} << width) - 1);
    const int w = lsb / 32, s = lsb % 32;
    words[static_cast<size_t>(w)] |= static_cast<uint32_t>(v << s);
    if (s + width > 32) words[static_cast<size_t>(w) + 1] |= static_cast<uint32_t>(v >> (32 - s));
  }
  uint64_t Low64() const { return words[0] | (static_cast<uint64_t>(words[1]) << 32); }
};

// Verilator ports: CData/SData/IData/QData integers up to 64 bits, VlWide<N> above.
template <typename T>
std::enable_if_t<std::is_integral_v<T>> PutPort(T& port, const Bits& b) {
  port = static_cast<T>(b.Low64());
}
template <typename T>
auto PutPort(T& port, const Bits& b) -> decltype(port.at(0), void()) {
  for (std::size_t i = 0; i < sizeof(port) / sizeof(uint32_t); ++i) port.at(i) = b.words[i];
}
template <typename T>
std::enable_if_t<std::is_integral_v<T>> GetPort(const T& port, uint32_t* words) {
  const uint64_t v = static_cast<uint64_t>(port);
  words[0] = static_cast<uint32_t>(v);
  words[1] = static_cast<uint32_t>(v >> 32);
}
template <typename T>
auto GetPort(const T& port, uint32_t* words) -> decltype(port.at(0), void()) {
  for (std::size_t i = 0; i < sizeof(port) / sizeof(uint32_t); ++i) words[i] = port.at(i);
}

}  // namespace sa::sim
