// sa_array: Rows x Cols grid of sa_pe. Row r takes its activation (already skewed by r cycles)
// at its west edge; column c delivers its psum at the south edge, c cycles after column 0 for the
// same input vector. Latency from a row-0 activation at PE(0,0) to column c's sum at the south
// edge: Rows + c cycles. Weights are written one row (Cols weights) per cycle into a bank.
module sa_array #(
  parameter int Rows      = 8,
  parameter int Cols      = 8,
  parameter int ActWidth  = 4,
  parameter int WgtWidth  = 4,
  parameter int PsumWidth = 12
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  // weight load: row wgt_row_i of bank wgt_bank_i gets Cols weights (column c in bits c*WgtWidth)
  input  logic                             wgt_we_i,
  input  logic                             wgt_bank_i,
  input  logic [$clog2(Rows+1)-1:0]        wgt_row_i,
  input  logic [Cols*WgtWidth-1:0]         wgt_row_data_i,
  // skewed activations and their bank tags, one per row
  input  logic [Rows-1:0][ActWidth-1:0]    act_i,
  input  logic [Rows-1:0]                  act_bank_i,
  // column sums, one per column, column c lagging c cycles
  output logic [Cols-1:0][PsumWidth-1:0]   psum_o
);

  // Links between PEs, flattened into vectors (Icarus Verilog cannot connect ports to elements
  // of unpacked net arrays). Horizontal link (r, c) enters PE(r, c) from the west; vertical link
  // (r, c) enters PE(r, c) from the north.
  localparam int HLinks = Rows * (Cols + 1);
  logic [HLinks*ActWidth-1:0]        act_h;
  logic [HLinks-1:0]                 bank_h;
  logic [(Rows+1)*Cols*PsumWidth-1:0] psum_v;

  // One-hot write enable of the row being loaded.
  logic [Rows-1:0] row_we;
  assign row_we = wgt_we_i ? Rows'(1) << wgt_row_i : '0;

  for (genvar r = 0; r < Rows; r++) begin : g_row
    assign act_h[r*(Cols+1)*ActWidth +: ActWidth] = act_i[r];
    assign bank_h[r*(Cols+1)]                    = act_bank_i[r];
    for (genvar c = 0; c < Cols; c++) begin : g_col
      localparam int H  = r * (Cols + 1) + c;  // this PE's west link; H + 1 is its east link
      localparam int VN = r * Cols + c;        // this PE's north link; VN + Cols is its south link
      if (r == 0) begin : g_top
        assign psum_v[VN*PsumWidth +: PsumWidth] = '0;
      end
      sa_pe #(
        .ActWidth (ActWidth),
        .WgtWidth (WgtWidth),
        .PsumWidth(PsumWidth)
      ) u_pe (
        .clk_i,
        .rst_ni,
        .wgt_we_i  (row_we[r]),
        .wgt_bank_i(wgt_bank_i),
        .wgt_data_i(wgt_row_data_i[c*WgtWidth+:WgtWidth]),
        .act_i     (act_h[H*ActWidth +: ActWidth]),
        .act_bank_i(bank_h[H]),
        .act_o     (act_h[(H+1)*ActWidth +: ActWidth]),
        .act_bank_o(bank_h[H+1]),
        .psum_i    (psum_v[VN*PsumWidth +: PsumWidth]),
        .psum_o    (psum_v[(VN+Cols)*PsumWidth +: PsumWidth])
      );
    end
  end

  for (genvar c = 0; c < Cols; c++) begin : g_out
    assign psum_o[c] = psum_v[(Rows*Cols+c)*PsumWidth +: PsumWidth];
  end

endmodule
