package ops

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2 kernels below. cpu.X86.HasAVX2 is true only
// when the operating system also saves the AVX registers.
var useAVX2 = cpu.X86.HasAVX2

// absSumAVX2 returns Σ|xᵢ| over the first len(x)/8·8 elements, each
// widened to float64 before it is added.
//
//go:noescape
func absSumAVX2(x []float32) float64

// signAddAVX2 adds scale·sign(xᵢ) into gᵢ over the first len(x)/8·8
// elements, with sign(±0) = 0 and ±scale for NaN, as l1AddGrad32 does. g
// must be at least as long as x.
//
//go:noescape
func signAddAVX2(x, g []float32, scale float32)
