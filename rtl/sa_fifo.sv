// sa_fifo: synchronous FIFO with valid/ready on both sides. A pushed word is visible at the
// output the cycle after the push (latency 1); full throughput (one push and one pop per cycle).
module sa_fifo #(
  parameter int Width = 32,
  parameter int Depth = 8
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       push_i,
  input  logic [Width-1:0]           data_i,
  output logic                       full_o,
  output logic                       valid_o,
  input  logic                       ready_i,
  output logic [Width-1:0]           data_o,
  output logic [$clog2(Depth+1)-1:0] count_o
);

  localparam int PtrWidth = Depth > 1 ? $clog2(Depth) : 1;

  logic [Depth-1:0][Width-1:0] mem_q;  // packed: Icarus tracks it in the read assign
  logic [PtrWidth-1:0]        rd_ptr_q, wr_ptr_q;
  logic [$clog2(Depth+1)-1:0] count_q;
  logic                       do_push, do_pop;

  assign do_pop  = valid_o && ready_i;
  assign do_push = push_i && !full_o;
  assign valid_o = count_q != '0;
  assign full_o  = count_q == ($clog2(Depth+1))'(Depth);
  assign data_o  = mem_q[rd_ptr_q];
  assign count_o = count_q;

  function automatic logic [PtrWidth-1:0] Next(logic [PtrWidth-1:0] ptr);
    return (32'(ptr) == Depth - 1) ? '0 : ptr + 1'b1;
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_ptr_q <= '0;
      wr_ptr_q <= '0;
      count_q  <= '0;
    end else begin
      if (do_push) wr_ptr_q <= Next(wr_ptr_q);
      if (do_pop) rd_ptr_q <= Next(rd_ptr_q);
      unique case ({do_push, do_pop})
        2'b10:   count_q <= count_q + 1'b1;
        2'b01:   count_q <= count_q - 1'b1;
        default: count_q <= count_q;
      endcase
    end
  end

  // The storage has no reset: only entries that were pushed are ever read.
  always_ff @(posedge clk_i) begin
    if (do_push) mem_q[wr_ptr_q] <= data_i;
  end

endmodule
