package solvers

import "math"

type float interface{ ~float32 | ~float64 }

// firstNonFinite returns the index of the first NaN or ±Inf in g, or -1,
// and the squared L2 norm of g over the kept entries (all when keep is
// nil). It sums in four lanes to hide addition latency.
func firstNonFinite[T float](g []T, keep []bool) (int, float64) {
	var s0, s1, s2, s3 float64
	n := len(g)
	if keep != nil {
		keep = keep[:n]
	}
	i := 0
	for ; i+4 <= n; i += 4 {
		a, b, c, d := float64(g[i]), float64(g[i+1]), float64(g[i+2]), float64(g[i+3])
		if (a-a)+(b-b)+(c-c)+(d-d) != 0 {
			break
		}
		if keep != nil {
			a *= float64(boolToUint8(keep[i]))
			b *= float64(boolToUint8(keep[i+1]))
			c *= float64(boolToUint8(keep[i+2]))
			d *= float64(boolToUint8(keep[i+3]))
		}
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < n; i++ {
		f := float64(g[i])
		if f-f != 0 {
			return i, 0
		}
		if keep == nil || keep[i] {
			s0 += f * f
		}
	}
	return -1, (s0 + s1) + (s2 + s3)
}

// applyMask sets w[i] to +0 wherever keep[i] is false, without branches,
// with AVX-512 or AVX2 for float32 where available.
func applyMask[T float](w []T, keep []bool) {
	keep = keep[:len(w)]
	switch w := any(w).(type) {
	case []float32:
		if useAVX512 {
			w, keep = vectorPrefix(w, keep, 16, maskAVX512)
		}
		if useAVX2 {
			w, keep = vectorPrefix(w, keep, 8, maskAVX2)
		}
		for i, v := range w {
			w[i] = math.Float32frombits(math.Float32bits(v) & -uint32(boolToUint8(keep[i])))
		}
	case []float64:
		for i, v := range w {
			w[i] = math.Float64frombits(math.Float64bits(v) & -uint64(boolToUint8(keep[i])))
		}
	}
}

// softThreshold32 replaces w by its L1 proximal point
// sign(w)·max(|w|−t, 0), computed in float32 as w − clamp(w, −t, t), and
// sets to +0 the entries keep rejects (keep may be nil). Entries shrunk to
// zero are +0 as well. It uses AVX2 where available, which gives the same
// bits as softThreshold, and does one pass over w and keep.
func softThreshold32(w []float32, t float32, keep []bool) {
	if useAVX512 {
		w, keep = vectorPrefix(w, keep, 16, func(w []float32, keep []bool) {
			softThresholdAVX512(w, keep, t, keep != nil)
		})
	}
	if useAVX2 {
		w, keep = vectorPrefix(w, keep, 8, func(w []float32, keep []bool) {
			softThresholdAVX2(w, keep, t, keep != nil)
		})
	}
	softThreshold(w, t, keep)
}

// vectorPrefix runs kernel on the longest prefix of w whose length is a
// multiple of block, a power of two, with the same prefix of keep (nil
// when keep is nil). It returns the rest of w and keep.
func vectorPrefix(w []float32, keep []bool, block int, kernel func(w []float32, keep []bool)) ([]float32, []bool) {
	n := len(w) &^ (block - 1)
	if n == 0 {
		return w, keep
	}
	kernel(w[:n], maskPart(keep, 0, n))
	return w[n:], maskPart(keep, n, len(w))
}

// softThreshold is the portable form of softThreshold32, for float32 and
// float64. The clamp follows Go's min and max, so w = −0 gives +0 for
// every t ≥ 0.
func softThreshold[T float](w []T, t T, keep []bool) {
	if keep == nil {
		for i, v := range w {
			w[i] = v - min(max(v, -t), t)
		}
		return
	}
	keep = keep[:len(w)]
	for i, v := range w {
		r := v - min(max(v, -t), t)
		if !keep[i] {
			r = 0
		}
		w[i] = r
	}
}

func boolToUint8(b bool) uint8 {
	var u uint8
	if b {
		u = 1
	}
	return u
}

// weightStats returns the number of zeros, Σ|w| and Σw² of w. It sums in
// two lanes to hide addition latency.
func weightStats[T float](w []T) (zeros int, abs, sq float64) {
	var a0, a1, q0, q1 float64
	n := len(w)
	i := 0
	for ; i+2 <= n; i += 2 {
		f, g := float64(w[i]), float64(w[i+1])
		zeros += int(boolToUint8(f == 0)) + int(boolToUint8(g == 0))
		a0 += math.Abs(f)
		a1 += math.Abs(g)
		q0 += f * f
		q1 += g * g
	}
	for ; i < n; i++ {
		f := float64(w[i])
		zeros += int(boolToUint8(f == 0))
		a0 += math.Abs(f)
		q0 += f * f
	}
	return zeros, a0 + a1, q0 + q1
}

// accumulateMovement adds prev·(w − prev) into acc.
func accumulateMovement[T float](acc, prev []float64, w []T) {
	prev = prev[:len(w)]
	acc = acc[:len(w)]
	for i, v := range w {
		acc[i] += prev[i] * (float64(v) - prev[i])
	}
}

func copyToFloat64[T float](dst []float64, w []T) {
	dst = dst[:len(w)]
	for i, v := range w {
		dst[i] = float64(v)
	}
}

// firstNonFinite32 is firstNonFinite for float32, with AVX-512 and AVX2
// where available. The vector path sums the squares in float32 within
// blocks of 256 entries and in float64 across them, so the norm may
// differ from the scalar one from about the sixth significant digit.
// When that sum is not finite, or below 2⁻⁶⁰, where float32 squares lose
// precision, it sums again in float64.
func firstNonFinite32(g []float32, keep []bool) (int, float64) {
	if !useAVX2 || len(g) < 32 {
		return firstNonFinite(g, keep)
	}
	// The vector kernels sum the longest prefix they take, AVX-512 in
	// blocks of 64 and AVX2 in blocks of 32 after it.
	var sum float64
	n := 0
	if useAVX512 && len(g) >= 64 {
		n = len(g) &^ 63
		sum = sumSquaresAVX512(g[:n], maskPart(keep, 0, n), keep != nil)
	}
	if m := n + (len(g)-n)&^31; m > n {
		sum += sumSquaresFastAVX2(g[n:m], maskPart(keep, n, m), keep != nil)
		n = m
	}
	if !(sum >= 0x1p-60 && sum <= math.MaxFloat64) {
		return firstNonFinite32Wide(g, keep)
	}
	bad, rest := firstNonFinite(g[n:], maskPart(keep, n, len(g)))
	if bad >= 0 {
		return n + bad, 0
	}
	return -1, sum + rest
}

// maskPart returns keep[lo:hi], or nil when keep is nil.
func maskPart(keep []bool, lo, hi int) []bool {
	if keep == nil {
		return nil
	}
	return keep[lo:hi]
}

// firstNonFinite32Wide is firstNonFinite32 with the squares summed in
// float64.
func firstNonFinite32Wide(g []float32, keep []bool) (int, float64) {
	n := len(g) &^ 7
	sum, finite := sumSquaresAVX2(g[:n], maskPart(keep, 0, n), keep != nil)
	if !finite {
		return firstNonFinite(g, keep)
	}
	bad, rest := firstNonFinite(g[n:], maskPart(keep, n, len(g)))
	if bad >= 0 {
		return n + bad, 0
	}
	return -1, sum + rest
}

// weightStats32 is weightStats for float32, with AVX2 where available.
func weightStats32(w []float32) (zeros int, abs, sq float64) {
	if !useAVX2 || len(w) < 8 {
		return weightStats(w)
	}
	n := len(w) &^ 7
	zeros, abs, sq = weightStatsAVX2(w[:n])
	z, a, q := weightStats(w[n:])
	return zeros + z, abs + a, sq + q
}
