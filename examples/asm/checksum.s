# checksum.s - the Internet checksum (RFC 1071) of the memory block, in bpf_conformance syntax,
# with a local call. r1 = pointer, r2 = length, as the conformance suite passes memory.
#   userbpf run examples/asm/checksum.s --mem "45 00 00 73 00 00 40 00 40 11 00 00 c0 a8 00 01 c0 a8 00 c7"
#   -> 0xb861
	mov %r6, %r1
	mov %r7, %r2
	mov %r0, 0
loop:
	jlt %r7, 2, tail
	ldxh %r3, [%r6]
	be16 %r3
	add %r0, %r3
	add %r6, 2
	sub %r7, 2
	ja loop
tail:
	jeq %r7, 0, fold
	ldxb %r3, [%r6]
	lsh %r3, 8
	add %r0, %r3
fold:
	mov %r1, %r0
	call local fold16
	xor %r0, 0xffff
	exit
fold16:
	mov %r0, %r1
	rsh %r0, 16
	and %r1, 0xffff
	add %r0, %r1
	mov %r1, %r0
	rsh %r1, 16
	jne %r1, 0, fold16_again
	exit
fold16_again:
	mov %r1, %r0
	ja fold16
