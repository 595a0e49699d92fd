#include "textflag.h"

// KEEPMASK loads the 8 bools at (SI), each 0 or 1, into Y4 as 8 dwords of
// all ones (kept) or all zeros (rejected); Y5 must hold zeros.
#define KEEPMASK \
	VPMOVZXBD (SI), Y4; \
	VPSUBD    Y4, Y5, Y4

// func softThresholdAVX2(w []float32, keep []bool, t float32, masked bool)
// Processes len(w)/8*8 elements: w ← (w − clamp(w, −t, t)) & keep.
// The clamp is max(−t, w) then min(t, ·) with w as the second source:
// MAXPS and MINPS return the second source when both inputs are zeros of
// either sign or one is NaN, so clamp(±0) is the input zero itself and a
// NaN passes through, and w − clamp(w) is +0 for w = −0 even at t = 0, as
// in the Go path.
TEXT ·softThresholdAVX2(SB), NOSPLIT, $0-53
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ keep_base+24(FP), SI
	MOVBLZX masked+52(FP), DX
	VBROADCASTSS t+48(FP), Y1
	VXORPS Y2, Y2, Y2
	VSUBPS Y1, Y2, Y2
	VPXOR Y5, Y5, Y5
	SHRQ $3, CX
	JZ done
	TESTQ DX, DX
	JZ plain
	MOVQ CX, BX
	SHRQ $2, BX
	ANDQ $3, CX
	TESTQ BX, BX
	JZ masked1

// Four blocks of 8 per iteration, then one at a time.
masked4:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y6
	VMOVUPS 64(DI), Y7
	VMOVUPS 96(DI), Y8
	VMAXPS Y0, Y2, Y3
	VMAXPS Y6, Y2, Y9
	VMAXPS Y7, Y2, Y10
	VMAXPS Y8, Y2, Y11
	VMINPS Y3, Y1, Y3
	VMINPS Y9, Y1, Y9
	VMINPS Y10, Y1, Y10
	VMINPS Y11, Y1, Y11
	VSUBPS Y3, Y0, Y0
	VSUBPS Y9, Y6, Y6
	VSUBPS Y10, Y7, Y7
	VSUBPS Y11, Y8, Y8
	VPMOVZXBD (SI), Y4
	VPMOVZXBD 8(SI), Y9
	VPMOVZXBD 16(SI), Y10
	VPMOVZXBD 24(SI), Y11
	VPSUBD Y4, Y5, Y4
	VPSUBD Y9, Y5, Y9
	VPSUBD Y10, Y5, Y10
	VPSUBD Y11, Y5, Y11
	VANDPS Y4, Y0, Y0
	VANDPS Y9, Y6, Y6
	VANDPS Y10, Y7, Y7
	VANDPS Y11, Y8, Y8
	VMOVUPS Y0, (DI)
	VMOVUPS Y6, 32(DI)
	VMOVUPS Y7, 64(DI)
	VMOVUPS Y8, 96(DI)
	ADDQ $128, DI
	ADDQ $32, SI
	DECQ BX
	JNZ masked4

masked1:
	TESTQ CX, CX
	JZ done

masked:
	VMOVUPS (DI), Y0
	VMAXPS Y0, Y2, Y3
	VMINPS Y3, Y1, Y3
	VSUBPS Y3, Y0, Y0
	KEEPMASK
	VANDPS Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $8, SI
	DECQ CX
	JNZ masked
	JMP done

plain:
	VMOVUPS (DI), Y0
	VMAXPS Y0, Y2, Y3
	VMINPS Y3, Y1, Y3
	VSUBPS Y3, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	DECQ CX
	JNZ plain

done:
	VZEROUPPER
	RET

// func maskAVX2(w []float32, keep []bool)
// Processes len(w)/8*8 elements: w ← w & keep, so rejected entries are +0.
TEXT ·maskAVX2(SB), NOSPLIT, $0-48
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ keep_base+24(FP), SI
	VPXOR Y5, Y5, Y5
	SHRQ $3, CX
	JZ mdone

	MOVQ CX, BX
	SHRQ $2, BX
	ANDQ $3, CX
	TESTQ BX, BX
	JZ mone

// Four blocks of 8 per iteration, then one at a time.
mloop4:
	VPMOVZXBD (SI), Y4
	VPMOVZXBD 8(SI), Y6
	VPMOVZXBD 16(SI), Y7
	VPMOVZXBD 24(SI), Y8
	VPSUBD Y4, Y5, Y4
	VPSUBD Y6, Y5, Y6
	VPSUBD Y7, Y5, Y7
	VPSUBD Y8, Y5, Y8
	VANDPS (DI), Y4, Y0
	VANDPS 32(DI), Y6, Y1
	VANDPS 64(DI), Y7, Y2
	VANDPS 96(DI), Y8, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $32, SI
	DECQ BX
	JNZ mloop4

mone:
	TESTQ CX, CX
	JZ mdone

mloop:
	KEEPMASK
	VANDPS (DI), Y4, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $8, SI
	DECQ CX
	JNZ mloop

mdone:
	VZEROUPPER
	RET

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func sumSquaresAVX2(g []float32, keep []bool, masked bool) (sum float64, finite bool)
// Sums g² in float64 over the first len(g)/8·8 entries, skipping those
// keep rejects when masked; finite is false if any entry is NaN or ±Inf.
// Blocks of 8 alternate between two pairs of accumulators (Y6, Y7 and
// Y9, Y10), so that consecutive additions do not wait on each other.
// No entry is tested on its own. A square of a float32 is below 2^256 in
// float64, so the sum of fewer than 2^700 of them is finite exactly when
// every entry is, and finite is computed from the sum. With a mask each
// entry is multiplied by its keep byte as 1.0 or 0.0: kept entries stay
// as they are, rejected finite ones become zeros, and rejected NaN or ±Inf
// ones become NaN, so they still make the sum non-finite.
TEXT ·sumSquaresAVX2(SB), NOSPLIT, $0-65
	MOVQ g_base+0(FP), DI
	MOVQ g_len+8(FP), CX
	MOVQ keep_base+24(FP), SI
	MOVBLZX masked+48(FP), DX
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	SHRQ $3, CX
	JZ sqdone
	TESTQ DX, DX
	JZ sqplain

sqloop:
	VPMOVZXBD (SI), Y4
	VCVTDQ2PS Y4, Y4
	VMULPS (DI), Y4, Y0
	VCVTPS2PD X0, Y1
	VEXTRACTF128 $1, Y0, X2
	VCVTPS2PD X2, Y2
	VMULPD Y1, Y1, Y1
	VMULPD Y2, Y2, Y2
	VADDPD Y1, Y6, Y6
	VADDPD Y2, Y7, Y7
	ADDQ $32, DI
	ADDQ $8, SI
	DECQ CX
	JZ sqdone

	VPMOVZXBD (SI), Y4
	VCVTDQ2PS Y4, Y4
	VMULPS (DI), Y4, Y0
	VCVTPS2PD X0, Y1
	VEXTRACTF128 $1, Y0, X2
	VCVTPS2PD X2, Y2
	VMULPD Y1, Y1, Y1
	VMULPD Y2, Y2, Y2
	VADDPD Y1, Y9, Y9
	VADDPD Y2, Y10, Y10
	ADDQ $32, DI
	ADDQ $8, SI
	DECQ CX
	JNZ sqloop
	JMP sqdone

sqplain:
	VCVTPS2PD (DI), Y1
	VCVTPS2PD 16(DI), Y2
	VMULPD Y1, Y1, Y1
	VMULPD Y2, Y2, Y2
	VADDPD Y1, Y6, Y6
	VADDPD Y2, Y7, Y7
	ADDQ $32, DI
	DECQ CX
	JZ sqdone

	VCVTPS2PD (DI), Y1
	VCVTPS2PD 16(DI), Y2
	VMULPD Y1, Y1, Y1
	VMULPD Y2, Y2, Y2
	VADDPD Y1, Y9, Y9
	VADDPD Y2, Y10, Y10
	ADDQ $32, DI
	DECQ CX
	JNZ sqplain

sqdone:
	VADDPD Y9, Y6, Y6
	VADDPD Y10, Y7, Y7
	VADDPD Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X7
	VADDPD X7, X6, X6
	VHADDPD X6, X6, X6
	MOVSD X6, sum+56(FP)
	// The sum is finite when sum − sum is 0; NaN otherwise.
	VSUBSD X6, X6, X7
	VXORPD X5, X5, X5
	VUCOMISD X5, X7
	SETEQ AX
	SETPC DX
	ANDB DX, AX
	MOVB AX, finite+64(FP)
	VZEROUPPER
	RET

// func weightStatsAVX2(w []float32) (zeros int, abs, sq float64)
// Counts zeros and sums |w| and w² in float64 over the first len(w)/8·8
// entries.
TEXT ·weightStatsAVX2(SB), NOSPLIT, $0-48
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	VPXOR Y9, Y9, Y9
	VPXOR Y5, Y5, Y5
	VPCMPEQD Y12, Y12, Y12
	VPSRLD $1, Y12, Y12
	SHRQ $3, CX
	JZ wsdone

wsloop:
	VMOVUPS (DI), Y0
	VCMPPS $0, Y5, Y0, Y3
	VPSUBD Y3, Y9, Y9
	VANDPS Y12, Y0, Y1
	VCVTPS2PD X1, Y2
	VEXTRACTF128 $1, Y1, X1
	VCVTPS2PD X1, Y1
	VADDPD Y2, Y6, Y6
	VADDPD Y1, Y7, Y7
	VMULPD Y2, Y2, Y2
	VMULPD Y1, Y1, Y1
	VADDPD Y2, Y10, Y10
	VADDPD Y1, Y11, Y11
	ADDQ $32, DI
	DECQ CX
	JNZ wsloop

wsdone:
	VEXTRACTI128 $1, Y9, X3
	VPADDD X3, X9, X9
	VPHADDD X9, X9, X9
	VPHADDD X9, X9, X9
	VMOVD X9, AX
	MOVQ AX, zeros+24(FP)
	VADDPD Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X7
	VADDPD X7, X6, X6
	VHADDPD X6, X6, X6
	MOVSD X6, abs+32(FP)
	VADDPD Y11, Y10, Y10
	VEXTRACTF128 $1, Y10, X11
	VADDPD X11, X10, X10
	VHADDPD X10, X10, X10
	MOVSD X10, sq+40(FP)
	VZEROUPPER
	RET

// SQ4 adds the squares of Y0–Y3 to the float32 accumulators Y6–Y9.
#define SQ4 \
	VMULPS Y0, Y0, Y0; \
	VMULPS Y1, Y1, Y1; \
	VMULPS Y2, Y2, Y2; \
	VMULPS Y3, Y3, Y3; \
	VADDPS Y0, Y6, Y6; \
	VADDPS Y1, Y7, Y7; \
	VADDPS Y2, Y8, Y8; \
	VADDPS Y3, Y9, Y9

// func sumSquaresFastAVX2(g []float32, keep []bool, masked bool) (sum float64)
// Sums g² over the first len(g)/32·32 entries, skipping those keep
// rejects when masked, as sumSquaresAVX2 does but in float32: each lane
// of four accumulators adds the squares of 8 entries, and every 256
// entries the accumulators are added into float64 totals. An entry above
// 2⁶⁴ in magnitude overflows its float32 square, and a NaN or ±Inf
// anywhere makes the sum NaN or +Inf.
TEXT ·sumSquaresFastAVX2(SB), NOSPLIT, $0-64
	MOVQ g_base+0(FP), DI
	MOVQ g_len+8(FP), CX
	MOVQ keep_base+24(FP), SI
	MOVBLZX masked+48(FP), DX
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	SHRQ $5, CX
	JZ fdone

fouter:
	MOVQ $8, BX
	CMPQ CX, BX
	CMOVQLT CX, BX
	SUBQ BX, CX
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	TESTQ DX, DX
	JZ fplain

fmasked:
	VPMOVZXBD (SI), Y0
	VPMOVZXBD 8(SI), Y1
	VPMOVZXBD 16(SI), Y2
	VPMOVZXBD 24(SI), Y3
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	VMULPS (DI), Y0, Y0
	VMULPS 32(DI), Y1, Y1
	VMULPS 64(DI), Y2, Y2
	VMULPS 96(DI), Y3, Y3
	SQ4
	ADDQ $128, DI
	ADDQ $32, SI
	DECQ BX
	JNZ fmasked
	JMP fflush

fplain:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	SQ4
	ADDQ $128, DI
	DECQ BX
	JNZ fplain

fflush:
	VADDPS Y7, Y6, Y6
	VADDPS Y9, Y8, Y8
	VADDPS Y8, Y6, Y6
	VCVTPS2PD X6, Y0
	VEXTRACTF128 $1, Y6, X1
	VCVTPS2PD X1, Y1
	VADDPD Y0, Y10, Y10
	VADDPD Y1, Y11, Y11
	TESTQ CX, CX
	JNZ fouter

fdone:
	VADDPD Y11, Y10, Y10
	VEXTRACTF128 $1, Y10, X11
	VADDPD X11, X10, X10
	VHADDPD X10, X10, X10
	MOVSD X10, sum+56(FP)
	VZEROUPPER
	RET
