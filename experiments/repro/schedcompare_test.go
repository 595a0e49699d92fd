package repro

import (
	"testing"
)

func TestRunScheduleRecordsCurve(t *testing.T) {
	train, test := loadDigits(t)
	recipe := builtinRecipe[*ScheduleRecipe](t, "schedule-comparison")
	c := recipe.Training
	c.Steps = 200
	for i, s := range recipe.Schedules {
		r, err := RunSchedule(c, train, test, s.Name, s.Spec, 1, 20)
		if err != nil {
			t.Fatalf("case %d (%s): %v", i, s.Name, err)
		}
		if len(r.Curve) != 10 {
			t.Fatalf("case %d (%s): %d curve points, want 200/20 = 10", i, s.Name, len(r.Curve))
		}
		if s.Name == "constant" {
			for _, p := range r.Curve {
				if p.Lambda != recipe.FinalLambda {
					t.Errorf("case %d: λ at step %d is %v, want %v", i, p.Step, p.Lambda, recipe.FinalLambda)
				}
			}
			// A proximal L1 step at a constant strength makes exact zeros
			// from the first step on.
			if !(r.Sparsity > 0) {
				t.Errorf("case %d: sparsity %v after 200 proximal steps, want > 0", i, r.Sparsity)
			}
		}
		if last := r.Curve[len(r.Curve)-1]; last.Sparsity != r.Sparsity {
			t.Errorf("case %d (%s): last curve sparsity %v, final %v", i, s.Name, last.Sparsity,
				r.Sparsity)
		}
		if !(r.Accuracy > 0.1) {
			t.Errorf("case %d (%s): accuracy %v, want above chance", i, s.Name, r.Accuracy)
		}
	}
}
