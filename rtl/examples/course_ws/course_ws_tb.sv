// course_ws_tb: self-checking Icarus Verilog testbench for course_ws_array.
// It instantiates a non-square 4x3 array (A_BITS=4, W_BITS=4, P_BITS=16) and
//   * loads several weight sets (random ones that include -8 and 7, one with a gap in w_load,
//     all -8 and all 7), always waiting for idle first;
//   * streams random activation vectors (including 0 and 15) with and without random gaps,
//     including a vector in the cycle right after the last weight row is loaded;
//   * checks every output against a behavioural reference (its own weight row counter and
//     dot products), checks that out_valid comes exactly LATENCY cycles after the matching
//     in_valid, that outputs come in order and none is missing or extra, that idle is high
//     exactly when nothing is in flight, and that out_data is 0 while out_valid is low.
// Prints "PASS" or "FAIL <reason>" and calls $finish. Optional plusarg: +seed=<n>.
//   iverilog -g2012 -o /tmp/cws course_ws_tb.sv course_ws_delay.sv course_ws_pe.sv \
//            course_ws_array.sv && vvp /tmp/cws
`timescale 1ns/1ps
module course_ws_tb;
  localparam int N_ROWS  = 4;
  localparam int N_COLS  = 3;
  localparam int A_BITS  = 4;
  localparam int W_BITS  = 4;
  localparam int P_BITS  = 16;
  localparam int EXP_LAT = N_ROWS + N_COLS;   // documented LATENCY formula
  localparam int DEPTH   = 4096;              // scoreboard size (> vectors in flight)

  logic                     clk = 1'b0;
  logic                     rst = 1'b1;
  logic                     w_load = 1'b0;
  logic [N_COLS*W_BITS-1:0] w_data = '0;
  logic                     in_valid = 1'b0;
  logic [N_ROWS*A_BITS-1:0] in_data = '0;
  wire                      out_valid;
  wire  [N_COLS*P_BITS-1:0] out_data;
  wire                      idle;

  course_ws_array #(
    .N_ROWS(N_ROWS), .N_COLS(N_COLS), .A_BITS(A_BITS), .W_BITS(W_BITS), .P_BITS(P_BITS)
  ) dut (
    .clk(clk), .rst(rst),
    .w_load(w_load), .w_data(w_data),
    .in_valid(in_valid), .in_data(in_data),
    .out_valid(out_valid), .out_data(out_data), .idle(idle)
  );

  always #5 clk = ~clk;

  // ------------------------------------------------------------------ reference model
  integer             seed;
  integer             seed0;               // seed as given, for the report
  integer             errors   = 0;
  integer             cycle    = 0;
  integer             n_in     = 0;
  integer             n_out    = 0;
  integer             ref_row  = 0;
  integer             w_ref [0:N_ROWS*N_COLS-1];
  logic [N_COLS*P_BITS-1:0] exp_data  [0:DEPTH-1];
  integer             exp_cycle [0:DEPTH-1];
  integer             wr_ptr   = 0;
  integer             rd_ptr   = 0;
  integer             sum, a_val;
  logic [N_COLS*P_BITS-1:0] expv;
  logic [P_BITS-1:0]  sum_bits;

  task automatic fail(input string msg);
    errors = errors + 1;
    if (errors <= 10) $display("FAIL cycle %0d: %s", cycle, msg);
  endtask

  // Monitor: samples DUT outputs and inputs at each rising edge (before the DUT's registers
  // update), so "cycle" is the index of the cycle that ends with this edge.
  always @(posedge clk) begin
    cycle = cycle + 1;
    if (!rst) begin
      if (w_load && in_valid) fail("testbench drove w_load and in_valid together");
      if (idle !== (wr_ptr == rd_ptr))
        fail($sformatf("idle=%b but %0d vector(s) in flight", idle, wr_ptr - rd_ptr));

      if (out_valid === 1'b1) begin
        if (rd_ptr == wr_ptr) begin
          fail("out_valid with no vector in flight");
        end else begin
          if (cycle - exp_cycle[rd_ptr % DEPTH] != EXP_LAT)
            fail($sformatf("output %0d after %0d cycles, expected LATENCY=%0d",
                           rd_ptr, cycle - exp_cycle[rd_ptr % DEPTH], EXP_LAT));
          if (out_data !== exp_data[rd_ptr % DEPTH])
            fail($sformatf("output %0d: got %h expected %h",
                           rd_ptr, out_data, exp_data[rd_ptr % DEPTH]));
          rd_ptr = rd_ptr + 1;
          n_out  = n_out + 1;
        end
      end else begin
        if (out_valid !== 1'b0) fail("out_valid is X/Z");
        if (out_data !== '0) fail($sformatf("out_data=%h while out_valid is low", out_data));
      end

      if (in_valid) begin
        for (int c = 0; c < N_COLS; c++) begin
          sum = 0;
          for (int r = 0; r < N_ROWS; r++) begin
            a_val = in_data[r*A_BITS +: A_BITS];          // unsigned
            sum   = sum + a_val * w_ref[r*N_COLS + c];
          end
          sum_bits = sum[P_BITS-1:0];
          expv[c*P_BITS +: P_BITS] = sum_bits;
        end
        exp_data[wr_ptr % DEPTH]  = expv;
        exp_cycle[wr_ptr % DEPTH] = cycle;
        wr_ptr = wr_ptr + 1;
        n_in   = n_in + 1;
      end

      if (w_load) begin
        for (int c = 0; c < N_COLS; c++)
          w_ref[ref_row*N_COLS + c] = $signed(w_data[c*W_BITS +: W_BITS]);
        ref_row = (ref_row + 1) % N_ROWS;
      end
    end
  end

  // ------------------------------------------------------------------ stimulus helpers
  function automatic logic [N_ROWS*A_BITS-1:0] rand_vec(input int kind);
    logic [N_ROWS*A_BITS-1:0] v;
    for (int r = 0; r < N_ROWS; r++) begin
      case (kind)
        1:       v[r*A_BITS +: A_BITS] = '1;              // all 15
        2:       v[r*A_BITS +: A_BITS] = '0;              // all 0
        default: v[r*A_BITS +: A_BITS] = $random(seed);
      endcase
    end
    return v;
  endfunction

  // Present one vector in the next cycle.
  task automatic send(input logic [N_ROWS*A_BITS-1:0] v);
    @(negedge clk);
    w_load   = 1'b0;
    in_valid = 1'b1;
    in_data  = v;
  endtask

  // One idle input cycle; in_data carries junk that must be ignored.
  task automatic gap;
    @(negedge clk);
    w_load   = 1'b0;
    in_valid = 1'b0;
    in_data  = $random(seed);
    w_data   = $random(seed);
  endtask

  // Stream n vectors; gap_pct: probability (percent) of 1..3 idle cycles before each vector.
  task automatic stream(input int n, input int gap_pct);
    int k, g, roll;
    for (k = 0; k < n; k++) begin
      roll = $unsigned($random(seed)) % 100;
      if (roll < gap_pct) begin
        for (g = 0; g <= ($unsigned($random(seed)) % 3); g++) gap();
      end
      roll = $unsigned($random(seed)) % 20;
      send(rand_vec(roll == 0 ? 1 : (roll == 1 ? 2 : 0)));
    end
  endtask

  task automatic wait_idle;
    gap();
    while (idle !== 1'b1) gap();
  endtask

  // Load one weight set. kind 0: random with forced -8/7; 1: all -8; 2: all 7.
  // with_gap: drop w_load for two cycles between rows 1 and 2.
  // The task returns right after driving the last row, so a following send() puts in_valid
  // in the very next cycle.
  task automatic load_weights(input int kind, input bit with_gap, input int salt);
    logic [N_COLS*W_BITS-1:0] row;
    for (int r = 0; r < N_ROWS; r++) begin
      for (int c = 0; c < N_COLS; c++) begin
        case (kind)
          1:       row[c*W_BITS +: W_BITS] = 4'b1000;    // -8
          2:       row[c*W_BITS +: W_BITS] = 4'b0111;    //  7
          default: row[c*W_BITS +: W_BITS] = $random(seed);
        endcase
      end
      if (kind == 0) begin
        // guarantee the extremes appear somewhere (position depends on salt)
        if (r == (salt % N_ROWS))       row[((salt    ) % N_COLS)*W_BITS +: W_BITS] = 4'b1000;
        if (r == ((salt+1) % N_ROWS))   row[((salt + 1) % N_COLS)*W_BITS +: W_BITS] = 4'b0111;
        if (r == ((salt+2) % N_ROWS))   row[((salt + 2) % N_COLS)*W_BITS +: W_BITS] = 4'b1000;
      end
      if (with_gap && r == 2) begin
        gap();
        gap();
      end
      @(negedge clk);
      in_valid = 1'b0;
      w_load   = 1'b1;
      w_data   = row;
    end
  endtask

  // ------------------------------------------------------------------ test sequence
  initial begin
    if (!$value$plusargs("seed=%d", seed)) seed = 12345;
    seed0 = seed;
    for (int i = 0; i < N_ROWS*N_COLS; i++) w_ref[i] = 0;   // rst clears the weights

    if (dut.LATENCY != EXP_LAT) fail($sformatf("dut.LATENCY=%0d, expected %0d", dut.LATENCY, EXP_LAT));

    repeat (3) @(negedge clk);
    rst = 1'b0;
    @(negedge clk);
    if (idle !== 1'b1) fail("idle not high after reset");

    // vectors with the reset weights (all 0)
    send(rand_vec(1));
    send(rand_vec(0));
    wait_idle();

    // set 1: random with extremes, no gaps in the load; random-gap stream
    load_weights(0, 1'b0, 0);
    send(rand_vec(1));                     // right after the last weight row
    send(rand_vec(2));
    stream(300, 40);
    wait_idle();

    // set 2: random with extremes, w_load has a gap; back-to-back then gappy stream
    load_weights(0, 1'b1, 1);
    stream(150, 0);
    stream(150, 30);
    wait_idle();

    // set 3: all -8 (a=15 everywhere gives the most negative sum)
    load_weights(1, 1'b0, 0);
    send(rand_vec(1));
    stream(20, 50);
    wait_idle();

    // set 4: all 7 (a=15 everywhere gives the most positive sum)
    load_weights(2, 1'b0, 0);
    send(rand_vec(1));
    stream(20, 50);
    wait_idle();

    repeat (EXP_LAT + 3) gap();

    if (n_in != n_out)  fail($sformatf("%0d vectors in, %0d out", n_in, n_out));
    if (n_in < 600)     fail($sformatf("only %0d vectors sent", n_in));
    if (errors == 0) $display("PASS (%0d vectors, LATENCY=%0d, seed=%0d)", n_in, EXP_LAT, seed0);
    else             $display("FAIL (%0d errors)", errors);
    $finish;
  end

  initial begin
    #2000000;
    $display("FAIL timeout");
    $finish;
  end
endmodule
