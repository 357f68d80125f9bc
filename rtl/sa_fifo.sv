// sa_fifo: synchronous FIFO with a valid/ready write port and a valid/ready read port. A written
// word is readable the cycle after the write (latency 1); full throughput (one write and one
// read per cycle). In sa_core the writer never waits (credit flow control guarantees room), and
// an assertion checks that wvalid_i never meets a full FIFO.
module sa_fifo #(
  parameter int Width = 32,
  parameter int Depth = 8
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       wvalid_i,
  output logic                       wready_o,
  input  logic [Width-1:0]           wdata_i,
  output logic                       rvalid_o,
  input  logic                       rready_i,
  output logic [Width-1:0]           rdata_o,
  output logic [$clog2(Depth+1)-1:0] count_o
);

  localparam int PtrWidth = Depth > 1 ? $clog2(Depth) : 1;
  localparam int CntWidth = $clog2(Depth + 1);

  logic [Depth-1:0][Width-1:0] mem_q;  // packed: Icarus tracks it in the read assign
  logic [PtrWidth-1:0]         rd_ptr_q, rd_ptr_d, wr_ptr_q, wr_ptr_d;
  logic [CntWidth-1:0]         count_q, count_d;
  logic                        do_write, do_read;

  assign wready_o = count_q != CntWidth'(Depth);
  assign rvalid_o = count_q != '0;
  assign do_write = wvalid_i && wready_o;
  assign do_read  = rvalid_o && rready_i;
  assign rdata_o  = mem_q[rd_ptr_q];
  assign count_o  = count_q;

  function automatic logic [PtrWidth-1:0] Next(logic [PtrWidth-1:0] ptr);
    return (32'(ptr) == Depth - 1) ? '0 : ptr + 1'b1;
  endfunction

  always_comb begin
    wr_ptr_d = do_write ? Next(wr_ptr_q) : wr_ptr_q;
    rd_ptr_d = do_read ? Next(rd_ptr_q) : rd_ptr_q;
    unique case ({do_write, do_read})
      2'b10:   count_d = count_q + 1'b1;
      2'b01:   count_d = count_q - 1'b1;
      default: count_d = count_q;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_ptr_q <= '0;
      wr_ptr_q <= '0;
      count_q  <= '0;
    end else begin
      rd_ptr_q <= rd_ptr_d;
      wr_ptr_q <= wr_ptr_d;
      count_q  <= count_d;
    end
  end

  // The storage has no reset: only entries that were written are ever read.
  always_ff @(posedge clk_i) begin
    if (do_write) mem_q[wr_ptr_q] <= wdata_i;
  end

  initial begin
    if (Width < 1 || Depth < 1) $fatal(1, "sa_fifo: Width (%0d) and Depth (%0d) must be >= 1",
                                       Width, Depth);
  end

`ifndef SA_NO_SVA  // Icarus Verilog (the speed bench) does not parse concurrent assertions
  // Writing into a full FIFO would drop a word: sa_core's credit check must prevent it.
  a_no_overrun: assert property (@(posedge clk_i) disable iff (!rst_ni) wvalid_i |-> wready_o)
    else $error("sa_fifo: write while full (overrun)");
`endif

endmodule
