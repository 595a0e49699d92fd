package solvers

// softThresholdAVX512 runs softThreshold32 on the first len(w)/16·16
// entries with AVX-512. keep is read only when masked is true.
//
//go:noescape
func softThresholdAVX512(w []float32, keep []bool, t float32, masked bool)

// maskAVX512 runs applyMask on the first len(w)/16·16 entries with
// AVX-512.
//
//go:noescape
func maskAVX512(w []float32, keep []bool)

// sumSquaresAVX512 is sumSquaresFastAVX2 on the first len(g)/64·64
// entries with AVX-512.
//
//go:noescape
func sumSquaresAVX512(g []float32, keep []bool, masked bool) (sum float64)

// useAVX512 reports whether the processor and the operating system
// support the AVX-512 subsets the kernels above use: CPUID leaf 7 EBX
// bits 16 (F), 30 (BW) and 31 (VL), and XCR0 bits 5 to 7 (opmask and ZMM
// state). It is a variable so that tests can run the AVX2 path too.
var useAVX512 = func() bool {
	if !useAVX2 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	const f, bw, vl = 1 << 16, 1 << 30, 1 << 31
	if ebx7&f == 0 || ebx7&bw == 0 || ebx7&vl == 0 {
		return false
	}
	xcr0, _ := xgetbv()
	return xcr0&0xe6 == 0xe6
}()
