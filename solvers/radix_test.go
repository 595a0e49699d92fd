package solvers

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSelectSmallestKeysMatchesScores compares magnitude pruning by
// uint32 keys with SelectSmallest on the float64 magnitude scores, entry
// for entry, on weights with many ties, exact zeros of both signs, NaN,
// ±Inf and pruned entries, for every k from 0 to n at small n and a
// spread of k at larger n.
func TestSelectSmallestKeysMatchesScores(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()),
		float32(math.Inf(1)), float32(math.Inf(-1)), math.SmallestNonzeroFloat32, math.MaxFloat32}
	for _, n := range []int{1, 2, 7, 33, 300, 5000, 70000} {
		for trial := range 3 {
			w := make([]float32, n)
			keep := make([]bool, n)
			for i := range w {
				switch r.IntN(10) {
				case 0:
					w[i] = special[r.IntN(len(special))]
				case 1, 2, 3:
					w[i] = float32(r.IntN(5)-2) / 4 // ties
				default:
					w[i] = float32(r.NormFloat64())
				}
				keep[i] = trial == 0 || r.IntN(4) > 0
			}
			scores, scratch := make([]float64, n), make([]float64, n)
			magnitudeScores(scores, w, keep)
			keys := make([]uint32, n)
			hist := new(radixCounts)
			want, got := make([]bool, n), make([]bool, n)
			ks := []int{0, 1, n / 3, n / 2, n - 1, n}
			if n <= 40 {
				ks = ks[:0]
				for k := range n + 1 {
					ks = append(ks, k)
				}
			}
			for _, k := range ks {
				SelectSmallest(scores, k, scratch, want)
				magnitudeKeys32(keys, w, keep, hist)
				selectSmallestKeys(keys, k, hist, got)
				if i := slices.Index(equalFlags(want, got), false); i >= 0 {
					t.Fatalf("n=%d trial %d k=%d: entry %d (w=%v, kept %v) pruned %v, "+
						"SelectSmallest gives %v", n, trial, k, i, w[i], keep[i], got[i], want[i])
				}
			}
		}
	}
}

func equalFlags(a, b []bool) []bool {
	eq := make([]bool, len(a))
	for i := range a {
		eq[i] = a[i] == b[i]
	}
	return eq
}
