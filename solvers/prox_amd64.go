package solvers

// softThresholdAVX2 runs softThreshold32 on the first len(w)/8·8 entries
// with AVX2. keep is read only when masked is true.
//
//go:noescape
func softThresholdAVX2(w []float32, keep []bool, t float32, masked bool)

// maskAVX2 runs applyMask on the first len(w)/8·8 entries with AVX2.
//
//go:noescape
func maskAVX2(w []float32, keep []bool)

func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// useAVX2 reports whether the processor and the operating system support
// AVX2 (CPUID leaf 1: OSXSAVE and AVX, XCR0: SSE and AVX state, leaf 7:
// AVX2).
var useAVX2 = func() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}()

// sumSquaresAVX2 sums g² in float64 over the first len(g)/8·8 entries,
// skipping those keep rejects when masked, and reports whether they are
// all finite.
//
//go:noescape
func sumSquaresAVX2(g []float32, keep []bool, masked bool) (sum float64, finite bool)

// weightStatsAVX2 counts the zeros and sums |w| and w² in float64 over
// the first len(w)/8·8 entries.
//
//go:noescape
func weightStatsAVX2(w []float32) (zeros int, abs, sq float64)

// sumSquaresFastAVX2 sums g² over the first len(g)/32·32 entries in
// float32 blocks, skipping those keep rejects when masked. The sum is NaN
// or +Inf when an entry is not finite or above 2⁶⁴ in magnitude.
//
//go:noescape
func sumSquaresFastAVX2(g []float32, keep []bool, masked bool) (sum float64)
