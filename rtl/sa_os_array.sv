// sa_os_array: Rows x Cols grid of sa_os_pe with one drain control per column. Row r takes its
// activations and step tags (skewed by r cycles) at the west edge, column c its weights (skewed
// by c cycles) at the north edge, so that PE(r, c) sees step s at cycle s + r + c.
// Drain: when the last step of a tile reaches PE(Rows-1, c), every PE of column c holds its
// finished sum in its drain register. The column then shifts for Rows cycles, emitting at the
// south edge row Rows-1 first, row 0 last (col_valid_o/col_psum_o), while the next tile
// accumulates. Row r loads from the row above only in the first r drain cycles (row 0's sum
// reaches row r in cycle r), so the next tile's sums, which arrive in row r from cycle r + 1 on,
// are not pushed down. A tile must end at least Rows cycles after the
// previous one (sa_os_core enforces it). Latency: step at the west/north edge -> its sums in
// the drain registers of column c, and the first of them emitted: Rows + c cycles.
module sa_os_array
  import sa_pkg::*;
#(
  parameter int Rows      = 8,
  parameter int Cols      = 8,
  parameter int ActWidth  = 4,
  parameter int WgtWidth  = 4,
  parameter int PsumWidth = 24
) (
  input  logic                           clk_i,
  input  logic                           rst_ni,
  input  logic [Rows-1:0][ActWidth-1:0]  act_i,
  input  logic [Rows-1:0][$bits(os_tag_t)-1:0] tag_i,  // os_tag_t per row (plain bits: Icarus)
  input  logic [Cols-1:0][WgtWidth-1:0]  wgt_i,
  // column c's drained sums, c cycles after column 0's; ReLU applied if the tile asked for it
  output logic [Cols-1:0]                col_valid_o,
  output logic [Cols-1:0][PsumWidth-1:0] col_psum_o,
  output logic                           overflow_o  // some PE's sum did not fit this cycle
);

  localparam int StepWidth = $clog2(Rows + 1);

  // Links: act_h/tag_h[r][c] enter PE(r, c) from the west (c = Cols: east edge), wgt_v and
  // drain_v[r][c] from the north (r = Rows: south edge).
  // Not traced, as in sa_array: a traced model rebuilt each of these vectors every cycle by
  // concatenating every PE's register into it, quadratic in the PE count.
  /* verilator tracing_off */
  logic [Rows-1:0][Cols:0][ActWidth-1:0]  act_h;
  os_tag_t [Rows-1:0][Cols:0]             tag_h;
  logic [Rows:0][Cols-1:0][WgtWidth-1:0]  wgt_v;
  logic [Rows:0][Cols-1:0][PsumWidth-1:0] drain_v;
  /* verilator tracing_on */
  logic [Rows-1:0][Cols-1:0]              pe_overflow;
  // Per column: which of the Rows drain cycles it is in (0: not draining), and the tile's ReLU.
  logic [Cols-1:0][StepWidth-1:0]         step_q, step_d;
  logic [Cols-1:0]                        relu_q, relu_d;

  assign wgt_v[0]   = wgt_i;
  assign drain_v[0] = '0;

  for (genvar r = 0; r < Rows; r++) begin : g_row
    assign act_h[r][0] = act_i[r];
    assign tag_h[r][0] = tag_i[r];
    for (genvar c = 0; c < Cols; c++) begin : g_col
      logic shift;
      // Row r loads from row r-1 in drain cycles 1 .. r of its column (row 0 never).
      assign shift = step_q[c] != '0 && 32'(step_q[c]) <= r;
      sa_os_pe #(
        .ActWidth (ActWidth),
        .WgtWidth (WgtWidth),
        .PsumWidth(PsumWidth)
      ) u_pe (
        .clk_i,
        .rst_ni,
        .act_i     (act_h[r][c]),
        .tag_i     (tag_h[r][c]),
        .act_o     (act_h[r][c+1]),
        .tag_o     (tag_h[r][c+1]),
        .wgt_i     ($signed(wgt_v[r][c])),
        .wgt_o     (wgt_v[r+1][c]),
        .shift_i   (shift),
        .drain_i   (drain_v[r][c]),
        .drain_o   (drain_v[r+1][c]),
        .overflow_o(pe_overflow[r][c])
      );
    end
  end

  for (genvar c = 0; c < Cols; c++) begin : g_drain
    logic finished;  // the tile's last step is at the bottom PE of this column
    assign finished = tag_h[Rows-1][c].valid && tag_h[Rows-1][c].last;
    always_comb begin
      step_d[c] = step_q[c];
      relu_d[c] = relu_q[c];
      if (finished) begin
        step_d[c] = StepWidth'(1);
        relu_d[c] = tag_h[Rows-1][c].relu;
      end else if (step_q[c] != '0) begin
        step_d[c] = 32'(step_q[c]) == Rows ? '0 : step_q[c] + 1'b1;
      end
    end
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        step_q[c] <= '0;
        relu_q[c] <= 1'b0;
      end else begin
        step_q[c] <= step_d[c];
        relu_q[c] <= relu_d[c];
      end
    end
    assign col_valid_o[c] = step_q[c] != '0;
    assign col_psum_o[c]  = relu_q[c] && drain_v[Rows][c][PsumWidth-1] ? '0 : drain_v[Rows][c];
  end

  assign overflow_o = |pe_overflow;

endmodule
