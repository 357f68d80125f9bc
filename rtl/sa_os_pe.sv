// sa_os_pe: one output-stationary processing element. It owns the sum of one output (pixel x
// channel) of the current tile: each cycle with a valid tag it adds the product of the
// activation arriving from the west and the weight arriving from the north (restarting from 0
// on the tile's first step). Activation and tag go east, weight south, one register each.
// On the tile's last step the finished sum goes into the drain register, so that the next tile
// can accumulate at once; drain registers form a chain down the column (shift_i, from the
// column's drain control in sa_os_array). Latency: 1 cycle east and south; the sum is in the
// drain register the cycle after the last step.
module sa_os_pe
  import sa_pkg::*;
#(
  parameter int ActWidth  = 4,
  parameter int WgtWidth  = 4,
  parameter int PsumWidth = 24
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  // activations and their step tags: west in, east out
  input  logic        [ActWidth-1:0]  act_i,
  input  os_tag_t                     tag_i,
  output logic        [ActWidth-1:0]  act_o,
  output os_tag_t                     tag_o,
  // weights: north in, south out
  input  logic signed [WgtWidth-1:0]  wgt_i,
  output logic signed [WgtWidth-1:0]  wgt_o,
  // drain chain: north in, south out
  input  logic                        shift_i,
  input  logic signed [PsumWidth-1:0] drain_i,
  output logic signed [PsumWidth-1:0] drain_o,
  output logic                        overflow_o  // this step's sum did not fit PsumWidth
);

  logic signed [ActWidth:0]          act_signed;
  logic signed [ActWidth+WgtWidth:0] product;
  logic signed [PsumWidth:0]         sum_wide;  // one extra bit to see an overflow
  logic signed [PsumWidth-1:0]       acc_q, acc_d, drain_q, drain_d;
  logic        [ActWidth-1:0]        act_q;
  os_tag_t                           tag_q;
  logic signed [WgtWidth-1:0]        wgt_q;

  assign act_signed = $signed({1'b0, act_i});
  assign product    = act_signed * wgt_i;
  assign sum_wide   = (tag_i.first ? '0 : (PsumWidth+1)'(acc_q)) + (PsumWidth+1)'(product);
  assign overflow_o = tag_i.valid && sum_wide[PsumWidth] != sum_wide[PsumWidth-1];

  always_comb begin
    acc_d   = tag_i.valid ? sum_wide[PsumWidth-1:0] : acc_q;
    // The finished sum has priority: the sum it replaces left for the south at this edge.
    drain_d = tag_i.valid && tag_i.last ? sum_wide[PsumWidth-1:0] :
              shift_i ? drain_i : drain_q;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q   <= '0;
      drain_q <= '0;
      act_q   <= '0;
      tag_q   <= '0;
      wgt_q   <= '0;
    end else begin
      acc_q   <= acc_d;
      drain_q <= drain_d;
      act_q   <= act_i;
      tag_q   <= tag_i;
      wgt_q   <= wgt_i;
    end
  end

  assign act_o   = act_q;
  assign tag_o   = tag_q;
  assign wgt_o   = wgt_q;
  assign drain_o = drain_q;

endmodule
