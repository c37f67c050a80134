# fib.s - the 50th Fibonacci number, iteratively, in the C-like syntax of llvm-objdump / the kernel.
# userbpf run examples/asm/fib.s    ->  0x2ee333961 (12586269025)
	r1 = 0          # a
	r2 = 1          # b
	r3 = 50         # n
loop:
	if r3 == 0 goto done
	r4 = r1
	r4 += r2
	r1 = r2
	r2 = r4
	r3 -= 1
	goto loop
done:
	r0 = r1
	exit
