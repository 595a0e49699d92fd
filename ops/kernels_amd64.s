#include "textflag.h"

// func absSumAVX2(x []float32) float64
TEXT ·absSumAVX2(SB), NOSPLIT, $0-32
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	VPCMPEQD Y7, Y7, Y7
	VPSRLD $1, Y7, Y7 // 0x7fffffff: clears the sign bit
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	SHRQ $3, CX
	JZ absdone

absloop:
	VANDPS (SI), Y7, Y2
	VCVTPS2PD X2, Y3
	VEXTRACTF128 $1, Y2, X4
	VCVTPS2PD X4, Y4
	VADDPD Y3, Y0, Y0
	VADDPD Y4, Y1, Y1
	ADDQ $32, SI
	DECQ CX
	JNZ absloop

absdone:
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VPERMILPD $1, X0, X1
	VADDSD X1, X0, X0
	VMOVSD X0, ret+24(FP)
	VZEROUPPER
	RET

// func signAddAVX2(x, g []float32, scale float32)
TEXT ·signAddAVX2(SB), NOSPLIT, $0-52
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ g_base+24(FP), DI
	VBROADCASTSS scale+48(FP), Y5
	VPCMPEQD Y6, Y6, Y6
	VPSLLD $31, Y6, Y6 // 0x80000000: the sign bit
	VXORPS Y7, Y7, Y7
	SHRQ $3, CX
	JZ signdone

signloop:
	VMOVUPS (SI), Y0
	VANDPS Y6, Y0, Y1      // sign bit of x
	VXORPS Y5, Y1, Y1      // ±scale
	VCMPPS $4, Y7, Y0, Y2  // x ≠ 0, true for NaN
	VANDPS Y2, Y1, Y1
	VADDPS (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ signloop

signdone:
	VZEROUPPER
	RET
