package solvers

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func randomFloat32s(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// BenchmarkTopK compares mask selection on 1M float32 weights (90% pruned)
// by SelectSmallest against a full sort of the scores.
func BenchmarkTopK(b *testing.B) {
	const n = 1 << 20
	w := randomFloat32s(n, 1)
	scores := make([]float64, n)
	scratch := make([]float64, n)
	pruned := make([]bool, n)
	k := roundCount(0.9, n)

	b.Run("select", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			absScores(scores, w)
			SelectSmallest(scores, k, scratch, pruned)
		}
	})
	b.Run("sort", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			absScores(scores, w)
			copy(scratch, scores)
			slices.Sort(scratch)
			threshold := scratch[k-1]
			equal := k
			for _, v := range scores {
				if v < threshold {
					equal--
				}
			}
			for i, v := range scores {
				pruned[i] = v < threshold || (v == threshold && equal > 0)
				if v == threshold && equal > 0 {
					equal--
				}
			}
		}
	})
}

// BenchmarkProx compares the fused mask and L1 prox pass on 1M float32
// weights, half of them pruned at random, with copy on the same slice.
func BenchmarkProx(b *testing.B) {
	const n = 1 << 20
	w := randomFloat32s(n, 2)
	src := randomFloat32s(n, 3)
	keep := make([]bool, n)
	r := rand.New(rand.NewPCG(4, 1))
	for i := range keep {
		keep[i] = r.IntN(2) == 0
	}
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(4 * n)
		b.ReportAllocs()
		for b.Loop() {
			copy(w, src)
		}
	})
	b.Run("l1", func(b *testing.B) {
		b.SetBytes(4 * n)
		b.ReportAllocs()
		for b.Loop() {
			softThreshold32(w, 1e-9, keep)
		}
	})
}
