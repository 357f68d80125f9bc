// course_ws: weight-stationary course-style systolic array (top: course_ws_array)
course_ws_delay.sv
course_ws_pe.sv
course_ws_array.sv
