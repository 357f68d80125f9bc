// The course-style core of rtl/examples/course_ws behind the sacosim DUT contract.
../examples/course_ws/course_ws_delay.sv
../examples/course_ws/course_ws_pe.sv
../examples/course_ws/course_ws_array.sv
sa_course_ws_adapter.sv
