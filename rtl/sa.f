// File list of the systolic-array RTL, in dependency order.
sa_pkg.sv
sa_mac.sv
sa_pe.sv
sa_skew.sv
sa_array.sv
sa_fifo.sv
sa_acc.sv
sa_core.sv
sa_os_pe.sv
sa_os_array.sv
sa_os_core.sv
