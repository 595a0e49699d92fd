package solvers

import (
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestSparsityOfEmptyParameters checks that a parameter with no elements
// reports sparsity 0, not NaN, and that the overall sparsity is the
// zeros over the elements of every parameter, or 0 when there are none.
// The gradients are 0, so the weights keep the values below.
func TestSparsityOfEmptyParameters(t *testing.T) {
	type weight struct {
		shape  []int
		values []float64
	}
	cases := []struct {
		name    string
		weights []weight
		want    []float64 // per parameter
		overall float64
	}{
		{"one empty", []weight{{[]int{0}, nil}}, []float64{0}, 0},
		{"two empty", []weight{{[]int{0, 3}, nil}, {[]int{2, 0}, nil}}, []float64{0, 0}, 0},
		{"empty and filled", []weight{{[]int{0, 3}, nil}, {[]int{4}, []float64{0, 1.5, 0, -2}}},
			[]float64{0, 0.5}, 0.5},
		{"filled only", []weight{{[]int{2, 2}, []float64{0, 0, 0, 1}}, {[]int{2}, []float64{0, 3}}},
			[]float64{0.75, 0.5}, 4.0 / 6},
	}
	for i, c := range cases {
		for _, rec := range []Recorder{nil, &keepLast{}} {
			model := make([]gorgonia.ValueGrad, len(c.weights))
			names := make([]string, len(c.weights))
			for j, w := range c.weights {
				v := dense(tensor.Float64, w.shape...)
				copy(v.Float64s(), w.values)
				names[j] = string(rune('a' + j))
				model[j] = &fakeParam{names[j], v, dense(tensor.Float64, w.shape...)}
			}
			var opts []Option
			if rec != nil {
				opts = append(opts, WithRecorder(rec))
			}
			s, err := Wrap(NewSGD(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Step(model); err != nil {
				t.Fatalf("case %d (%s): %v", i, c.name, err)
			}
			m := s.Metrics()
			for j, want := range c.want {
				if got := m.Params[j].Sparsity; got != want {
					t.Errorf("case %d (%s, recorder %v): parameter %s sparsity %v, want %v",
						i, c.name, rec != nil, names[j], got, want)
				}
				if got := s.signals["sparsity/"+names[j]]; got != want {
					t.Errorf("case %d (%s, recorder %v): signal sparsity/%s %v, want %v",
						i, c.name, rec != nil, names[j], got, want)
				}
			}
			if m.Sparsity != c.overall {
				t.Errorf("case %d (%s, recorder %v): overall sparsity %v, want %v",
					i, c.name, rec != nil, m.Sparsity, c.overall)
			}
			if got := s.signals["sparsity"]; got != c.overall {
				t.Errorf("case %d (%s, recorder %v): signal sparsity %v, want %v",
					i, c.name, rec != nil, got, c.overall)
			}
		}
	}
}
