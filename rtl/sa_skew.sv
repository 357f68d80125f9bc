// sa_skew: per-lane delay line. Lane i is delayed by i cycles (Reverse = 0: the input skew of the
// array, row r entering r cycles late) or by Lanes-1-i cycles (Reverse = 1: the output de-skew,
// aligning column sums that leave the array c cycles apart). Latency: 0..Lanes-1 cycles.
module sa_skew #(
  parameter int Lanes   = 8,
  parameter int Width   = 4,
  parameter bit          Reverse = 1'b0
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  input  logic [Lanes-1:0][Width-1:0]  data_i,
  output logic [Lanes-1:0][Width-1:0]  data_o
);

  for (genvar i = 0; i < Lanes; i++) begin : g_lane
    localparam int Delay = Reverse ? Lanes - 1 - i : i;
    if (Delay == 0) begin : g_wire
      assign data_o[i] = data_i[i];
    end else begin : g_delay
      logic [Delay-1:0][Width-1:0] stage_q;  // packed: Icarus tracks it in the assign below
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          for (int s = 0; s < int'(Delay); s++) stage_q[s] <= '0;
        end else begin
          stage_q[0] <= data_i[i];
          for (int s = 1; s < int'(Delay); s++) stage_q[s] <= stage_q[s-1];
        end
      end
      assign data_o[i] = stage_q[Delay-1];
    end
  end

endmodule
