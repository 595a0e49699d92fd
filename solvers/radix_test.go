package solvers

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestSelectSmallestKeysMatchesScores compares magnitude pruning by
// uint32 keys with SelectSmallest on the float64 magnitude scores, entry
// for entry. The weights have many ties, exact zeros of both signs, NaN,
// ±Inf and pruned entries, and k takes every value from 0 to n at small
// n and a spread of values at larger n.
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

// TestSelectSmallestKeysEdgeCases compares the radix select with
// SelectSmallest for every k from 0 to n on weights built to stress each
// digit. They are all equal, all zero or all pruned, or their keys differ
// only in the low 10, the middle 11 or the top 11 bits, or they lie near
// the largest float32.
func TestSelectSmallestKeysEdgeCases(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	oneBits := math.Float32bits(1)
	cases := []struct {
		name   string
		weight func(i int) float32
		pruned func(i int) bool
	}{
		{"all equal", func(int) float32 { return 0.5 }, func(int) bool { return false }},
		{"all zero", func(int) float32 { return 0 }, func(int) bool { return false }},
		{"all pruned", func(i int) float32 { return float32(i) }, func(int) bool { return true }},
		{"low bits", func(int) float32 { return math.Float32frombits(oneBits + uint32(r.IntN(4))) },
			func(i int) bool { return i%5 == 0 }},
		{"middle bits", func(int) float32 { return math.Float32frombits(oneBits + uint32(r.IntN(4))<<10) },
			func(i int) bool { return i%5 == 0 }},
		{"top bits", func(int) float32 { return math.Float32frombits(oneBits + uint32(r.IntN(4))<<21) },
			func(i int) bool { return i%5 == 0 }},
		{"near max", func(int) float32 { return math.Float32frombits(0x7f7fffff - uint32(r.IntN(3))) },
			func(int) bool { return false }},
		{"any bits", func(int) float32 { return math.Float32frombits(r.Uint32()) },
			func(i int) bool { return i%3 == 0 }},
	}
	for _, c := range cases {
		for _, n := range []int{1, 2, 3, 8, 31, 100, 1500} {
			w := make([]float32, n)
			keep := make([]bool, n)
			for i := range w {
				w[i] = c.weight(i)
				if r.IntN(2) == 0 {
					w[i] = -w[i]
				}
				keep[i] = !c.pruned(i)
			}
			scores, scratch := make([]float64, n), make([]float64, n)
			magnitudeScores(scores, w, keep)
			keys := make([]uint32, n)
			hist := new(radixCounts)
			want, got := make([]bool, n), make([]bool, n)
			for k := 0; k <= n; k++ {
				SelectSmallest(scores, k, scratch, want)
				magnitudeKeys32(keys, w, keep, hist)
				selectSmallestKeys(keys, k, hist, got)
				if i := slices.Index(equalFlags(want, got), false); i >= 0 {
					t.Fatalf("%s, n=%d, k=%d: entry %d (w=%v, kept %v) pruned %v, "+
						"SelectSmallest gives %v", c.name, n, k, i, w[i], keep[i], got[i], want[i])
				}
			}
		}
	}
}

// TestMagnitudeMasksAgreeAcrossFloatTypes trains a float32 and a float64
// copy of one model whose weights and gradients are multiples of 1/4,
// so that SGD with η = 1 keeps the copies equal and the magnitudes tied.
// Some weights are NaN or infinite, and the target rises and falls. A
// float32 weight is ranked by uint32 keys and a float64 one by
// SelectSmallest. Under Uniform and ERK allocation, and Global, which
// ranks both types by SelectSmallest, both must give the same masks after
// every step.
func TestMagnitudeMasksAgreeAcrossFloatTypes(t *testing.T) {
	shapes := []tensor.Shape{{6, 7}, {33}, {1030}}
	for _, alloc := range []Allocation{Uniform, ERK, Global} {
		models := map[tensor.Dtype]*shapedModel{}
		solvers := map[tensor.Dtype]*Solver{}
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			m := newShapedModel(t, dt, shapes, 31)
			r := rand.New(rand.NewPCG(32, 33))
			for _, p := range m.params {
				d := p.Value().(*tensor.Dense)
				for j := 0; j < d.Size(); j++ {
					v := float64(r.IntN(17)-8) / 4
					switch r.IntN(50) {
					case 0:
						v = math.NaN()
					case 1:
						v = math.Inf(1 - 2*r.IntN(2))
					}
					if dt == tensor.Float32 {
						d.Float32s()[j] = float32(v)
					} else {
						d.Float64s()[j] = v
					}
				}
			}
			sgd := NewSGD()
			sgd.LearnRate = 1
			s, err := Wrap(sgd, WithPruningGroup(m.params, Magnitude{}, upDown{}, UpdateEvery(2),
				Allocate(alloc)))
			if err != nil {
				t.Fatal(err)
			}
			models[dt], solvers[dt] = m, s
		}

		r := rand.New(rand.NewPCG(34, 35))
		for step := 0; step < 40; step++ {
			for _, p := range models[tensor.Float32].params {
				g, _ := p.Grad()
				for j := range g.(*tensor.Dense).Float32s() {
					g.(*tensor.Dense).Float32s()[j] = float32(r.IntN(9)-4) / 4
				}
			}
			for i, p := range models[tensor.Float64].params {
				g32, _ := models[tensor.Float32].params[i].Grad()
				g, _ := p.Grad()
				for j, v := range g32.(*tensor.Dense).Float32s() {
					g.(*tensor.Dense).Float64s()[j] = float64(v)
				}
			}
			for dt, s := range solvers {
				if err := s.Step(gorgonia.NodesToValueGrads(models[dt].params)); err != nil {
					t.Fatalf("%v step %d: %v", dt, step, err)
				}
			}
			for i := range shapes {
				want, got := solvers[tensor.Float64].params[i].keep, solvers[tensor.Float32].params[i].keep
				if j := slices.Index(equalFlags(want, got), false); j >= 0 {
					t.Fatalf("allocation %d step %d: float32 p%d[%d] kept %v, float64 kept %v",
						alloc, step, i, j, got[j], want[j])
				}
			}
		}
		if m := solvers[tensor.Float32].Metrics(); m.Sparsity < 0.15 {
			t.Errorf("allocation %d: sparsity %v at the end, want about 0.2", alloc, m.Sparsity)
		}
	}
}
