package repro

import "testing"

func TestRunLipschitzLowersBound(t *testing.T) {
	train, test := loadDigits(t)
	test = test.Head(100)
	r := builtinRecipe[*LipschitzRecipe](t, "lipschitz")
	r.Training.Steps = 400
	c := r.Training
	before, err := RunLipschitz(r, train, test, false, 1)
	if err != nil {
		t.Fatal(err)
	}
	after, err := RunLipschitz(r, train, test, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, run := range []LipschitzRun{before, after} {
		if len(run.Curve) != c.Steps/r.RecordEvery {
			t.Errorf("run %d: %d curve points, want %d", i, len(run.Curve), c.Steps/r.RecordEvery)
		}
		if len(run.Sensitivity) != len(r.Radii) {
			t.Errorf("run %d: %d sensitivity results, want %d", i, len(run.Sensitivity),
				len(r.Radii))
		}
	}
	for _, p := range after.Curve {
		// Dual ascent clamps m to [0, 10⁶] and the base is constant(1).
		if p.Lambda < 0 {
			t.Fatalf("λ at step %d is %v, want ≥ 0", p.Step, p.Lambda)
		}
	}
	b, a := before.Sensitivity[0].LipschitzBound, after.Sensitivity[0].LipschitzBound
	if !(a < b) {
		t.Errorf("bound after the penalty %v, without it %v; want lower", a, b)
	}
}
