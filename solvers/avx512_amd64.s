#include "textflag.h"

// ST16 soft-thresholds the 16 weights in Z0 with t in Z1 and −t in Z2,
// using Z3 as scratch: Z0 ← Z0 − min(t, max(−t, Z0)), operands in the
// order softThresholdAVX2 uses, so ±0 and NaN come out the same.
#define ST16(Z0, Z3) \
	VMAXPS Z0, Z2, Z3; \
	VMINPS Z3, Z1, Z3; \
	VSUBPS Z3, Z0, Z0

// func softThresholdAVX512(w []float32, keep []bool, t float32, masked bool)
// Processes len(w)/16·16 entries: w ← (w − clamp(w, −t, t)) & keep. The
// 16 keep bytes of a block become the mask register K1 (a bit per
// nonzero byte), and rejected entries take +0 from Z5.
TEXT ·softThresholdAVX512(SB), NOSPLIT, $0-53
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ keep_base+24(FP), SI
	MOVBLZX masked+52(FP), DX
	VBROADCASTSS t+48(FP), Z1
	VXORPS Z2, Z2, Z2
	VSUBPS Z1, Z2, Z2
	VXORPS Z5, Z5, Z5
	SHRQ $4, CX
	JZ done512
	TESTQ DX, DX
	JZ plain512

masked512:
	VMOVUPS (DI), Z0
	ST16(Z0, Z3)
	VMOVDQU (SI), X4
	VPTESTMB X4, X4, K1
	VBLENDMPS Z0, Z5, K1, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $16, SI
	DECQ CX
	JNZ masked512
	JMP done512

plain512:
	VMOVUPS (DI), Z0
	ST16(Z0, Z3)
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	DECQ CX
	JNZ plain512

done512:
	VZEROUPPER
	RET

// func sumSquaresAVX512(g []float32, keep []bool, masked bool) (sum float64)
// Sums g² over the first len(g)/64·64 entries as sumSquaresFastAVX2 does,
// 64 at a time: each lane of four float32 accumulators (Z6–Z9) adds the
// squares of 4 entries, and every 256 entries they are added into float64
// totals (Z10, Z11). With a mask each entry is multiplied by its keep byte
// as 1.0 or 0.0, so a rejected NaN or ±Inf still makes the sum NaN.
TEXT ·sumSquaresAVX512(SB), NOSPLIT, $0-64
	MOVQ g_base+0(FP), DI
	MOVQ g_len+8(FP), CX
	MOVQ keep_base+24(FP), SI
	MOVBLZX masked+48(FP), DX
	VXORPD Z10, Z10, Z10
	VXORPD Z11, Z11, Z11
	SHRQ $6, CX
	JZ sdone512

souter512:
	MOVQ $4, BX
	CMPQ CX, BX
	CMOVQLT CX, BX
	SUBQ BX, CX
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	TESTQ DX, DX
	JZ splain512

smasked512:
	VPMOVZXBD (SI), Z0
	VPMOVZXBD 16(SI), Z1
	VPMOVZXBD 32(SI), Z2
	VPMOVZXBD 48(SI), Z3
	VCVTDQ2PS Z0, Z0
	VCVTDQ2PS Z1, Z1
	VCVTDQ2PS Z2, Z2
	VCVTDQ2PS Z3, Z3
	VMULPS (DI), Z0, Z0
	VMULPS 64(DI), Z1, Z1
	VMULPS 128(DI), Z2, Z2
	VMULPS 192(DI), Z3, Z3
	VFMADD231PS Z0, Z0, Z6
	VFMADD231PS Z1, Z1, Z7
	VFMADD231PS Z2, Z2, Z8
	VFMADD231PS Z3, Z3, Z9
	ADDQ $256, DI
	ADDQ $64, SI
	DECQ BX
	JNZ smasked512
	JMP sflush512

splain512:
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	VFMADD231PS Z0, Z0, Z6
	VFMADD231PS Z1, Z1, Z7
	VFMADD231PS Z2, Z2, Z8
	VFMADD231PS Z3, Z3, Z9
	ADDQ $256, DI
	DECQ BX
	JNZ splain512

sflush512:
	VADDPS Z7, Z6, Z6
	VADDPS Z9, Z8, Z8
	VADDPS Z8, Z6, Z6
	VCVTPS2PD Y6, Z0
	VEXTRACTF32X8 $1, Z6, Y1
	VCVTPS2PD Y1, Z1
	VADDPD Z0, Z10, Z10
	VADDPD Z1, Z11, Z11
	TESTQ CX, CX
	JNZ souter512

sdone512:
	VADDPD Z11, Z10, Z10
	VEXTRACTF64X4 $1, Z10, Y11
	VADDPD Y11, Y10, Y10
	VEXTRACTF128 $1, Y10, X11
	VADDPD X11, X10, X10
	VHADDPD X10, X10, X10
	MOVSD X10, sum+56(FP)
	VZEROUPPER
	RET

// func maskAVX512(w []float32, keep []bool)
// Processes len(w)/16·16 entries: w ← w & keep. K1 marks the rejected
// entries of a block (zero keep bytes), and a masked store writes +0 to
// them only, so kept entries are not read or written.
TEXT ·maskAVX512(SB), NOSPLIT, $0-48
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ keep_base+24(FP), SI
	VXORPS Z5, Z5, Z5
	SHRQ $4, CX
	JZ mdone512

mloop512:
	VMOVDQU (SI), X4
	VPTESTNMB X4, X4, K1
	VMOVUPS Z5, K1, (DI)
	ADDQ $64, DI
	ADDQ $16, SI
	DECQ CX
	JNZ mloop512

mdone512:
	VZEROUPPER
	RET
