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

// softThreshold32 replaces w by its L1 proximal point
// sign(w)·max(|w|−t, 0), computed in float32 as w − clamp(w, −t, t), and
// sets to +0 the entries keep rejects (keep may be nil). Entries shrunk to
// zero are +0 as well. It is branch-free, so its speed does not depend on
// the mask, and does one pass over w and keep.
func softThreshold32(w []float32, t float32, keep []bool) {
	if keep == nil {
		for i, v := range w {
			w[i] = v - min(max(v, -t), t)
		}
		return
	}
	keep = keep[:len(w)]
	for i, v := range w {
		r := v - min(max(v, -t), t)
		w[i] = math.Float32frombits(math.Float32bits(r) & -uint32(boolToUint8(keep[i])))
	}
}

// softThreshold64 is softThreshold32 for float64.
func softThreshold64(w []float64, t float64, keep []bool) {
	if keep == nil {
		for i, v := range w {
			w[i] = v - min(max(v, -t), t)
		}
		return
	}
	keep = keep[:len(w)]
	for i, v := range w {
		r := v - min(max(v, -t), t)
		w[i] = math.Float64frombits(math.Float64bits(r) & -uint64(boolToUint8(keep[i])))
	}
}

func boolToUint8(b bool) uint8 {
	var u uint8
	if b {
		u = 1
	}
	return u
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
