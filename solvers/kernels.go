package solvers

import "math"

type float interface{ ~float32 | ~float64 }

// firstNonFinite returns the index of the first NaN or ±Inf in g, or -1,
// and the squared L2 norm of g over the kept entries (all when keep is
// nil).
func firstNonFinite[T float](g []T, keep []bool) (int, float64) {
	var sum float64
	if keep == nil {
		for i, v := range g {
			f := float64(v)
			if f-f != 0 {
				return i, 0
			}
			sum += f * f
		}
		return -1, sum
	}
	keep = keep[:len(g)]
	for i, v := range g {
		f := float64(v)
		if f-f != 0 {
			return i, 0
		}
		if keep[i] {
			sum += f * f
		}
	}
	return -1, sum
}

// applyMask sets w[i] to 0 wherever keep[i] is false.
func applyMask[T float](w []T, keep []bool) {
	keep = keep[:len(w)]
	for i := range w {
		if !keep[i] {
			w[i] = 0
		}
	}
}

// softThreshold replaces w by its L1 proximal point sign(w)·max(|w|−t, 0)
// in w's precision and zeros the entries keep rejects (keep may be nil).
// It does one pass over w and keep.
func softThreshold[T float](w []T, t T, keep []bool) {
	if keep == nil {
		for i, v := range w {
			switch {
			case v > t:
				w[i] = v - t
			case v < -t:
				w[i] = v + t
			default:
				w[i] = 0
			}
		}
		return
	}
	keep = keep[:len(w)]
	for i, v := range w {
		switch {
		case !keep[i]:
			w[i] = 0
		case v > t:
			w[i] = v - t
		case v < -t:
			w[i] = v + t
		default:
			w[i] = 0
		}
	}
}

// weightStats returns the number of zeros, Σ|w| and Σw² of w.
func weightStats[T float](w []T) (zeros int, abs, sq float64) {
	for _, v := range w {
		f := float64(v)
		if f == 0 {
			zeros++
		}
		abs += math.Abs(f)
		sq += f * f
	}
	return zeros, abs, sq
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
