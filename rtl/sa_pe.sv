// sa_pe: one weight-stationary processing element.
// Holds two weights (double buffer: bank 0 and 1). Each cycle it multiplies the activation
// arriving from the west by the weight of the bank named by the activation's bank tag, adds the
// psum arriving from the north and registers the sum towards the south; the activation and its
// tags are registered towards the east. Latency: 1 cycle east, 1 cycle south.
// A weight write (wgt_we_i) fills one bank while the other is in use.
// With Wgt2Mode, the activation link carries two activations and a mode tag: on a 2-bit pass the
// PE makes two products per cycle (sa_mac), one per 2-bit half of its weight.
module sa_pe #(
  parameter int ActWidth  = 4,
  parameter int WgtWidth  = 4,
  parameter int PsumWidth = 12,
  parameter int Wgt2Mode  = 0,   
  localparam int Lanes    = Wgt2Mode != 0 ? 2 : 1
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  // weight load
  input  logic                             wgt_we_i,
  input  logic                             wgt_bank_i,
  input  logic signed [WgtWidth-1:0]       wgt_data_i,
  // activations and their tags: west in, east out
  input  logic        [Lanes*ActWidth-1:0] act_i,
  input  logic                             act_bank_i,
  input  logic                             act_wgt2_i,
  output logic        [Lanes*ActWidth-1:0] act_o,
  output logic                             act_bank_o,
  output logic                             act_wgt2_o,
  // psums: north in, south out
  input  logic signed [PsumWidth-1:0]      psum_i,
  output logic signed [PsumWidth-1:0]      psum_o
);

  // Bank b at bits [b*WgtWidth +: WgtWidth]: one flat vector, which Icarus tracks and Yosys
  // (the area proxy, scripts/area_proxy.sh) reads.
  logic [2*WgtWidth-1:0]       wgt_q;
  logic signed [WgtWidth-1:0]  wgt_sel;  // the weight of the activation's bank
  logic signed [PsumWidth-1:0] mac_result;
  logic [Lanes*ActWidth-1:0]   act_q;
  logic                        act_bank_q;
  logic signed [PsumWidth-1:0] psum_q;

  sa_mac #(
    .ActWidth (ActWidth),
    .WgtWidth (WgtWidth),
    .PsumWidth(PsumWidth),
    .Wgt2Mode (Wgt2Mode)
  ) u_mac (
    .act_i (act_i),
    .wgt_i (wgt_sel),
    .wgt2_i(act_wgt2_i),
    .psum_i(psum_i),
    .psum_o(mac_result)
  );

  assign wgt_sel = wgt_q[act_bank_i*WgtWidth+:WgtWidth];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wgt_q      <= '0;
      act_q      <= '0;
      act_bank_q <= 1'b0;
      psum_q     <= '0;
    end else begin
      if (wgt_we_i) wgt_q[wgt_bank_i*WgtWidth+:WgtWidth] <= wgt_data_i;
      act_q      <= act_i;
      act_bank_q <= act_bank_i;
      psum_q     <= mac_result;
    end
  end

  // The mode tag costs a register only in a PE that has the mode.
  if (Wgt2Mode != 0) begin : g_wgt2_tag
    logic act_wgt2_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) act_wgt2_q <= 1'b0;
      else         act_wgt2_q <= act_wgt2_i;
    end
    assign act_wgt2_o = act_wgt2_q;
  end else begin : g_no_tag
    assign act_wgt2_o = 1'b0;
  end

  assign act_o      = act_q;
  assign act_bank_o = act_bank_q;
  assign psum_o     = psum_q;

endmodule
