package repro

import (
	"testing"
)

func TestRunGroupLassoSurvivors(t *testing.T) {
	train, test := loadDigits(t)
	r := builtinRecipe[*GroupRecipe](t, "group-lasso-inputs")
	c := r.Training
	c.Steps = 300
	cases := []struct {
		kind   string
		lambda float64
		groups int
	}{
		{kind: "blocks", lambda: 0, groups: 16},
		{kind: "blocks", lambda: 0.3, groups: 16},
		{kind: "pixels", lambda: 0.3, groups: 64},
	}
	for i, cs := range cases {
		r, err := RunGroupLasso(c, train, test, cs.kind, 2, c.Steps/2, cs.lambda, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Norms) != cs.groups {
			t.Fatalf("case %d: %d group norms, want %d", i, len(r.Norms), cs.groups)
		}
		alive := 0
		for _, n := range r.Norms {
			if n > 0 {
				alive++
			}
		}
		if alive != r.Survived {
			t.Errorf("case %d: Survived %d, but %d norms are non-zero", i, r.Survived, alive)
		}
		switch {
		case cs.lambda == 0 && r.Survived != cs.groups:
			t.Errorf("case %d: %d of %d groups survive without a penalty", i, r.Survived, cs.groups)
		case cs.lambda > 0 && r.Survived == cs.groups:
			t.Errorf("case %d: no group removed at λ = %v", i, cs.lambda)
		}
		// The compact net reads exactly the pixels with a non-zero row:
		// all of a surviving single-pixel group, at most all four of a
		// surviving block.
		if cs.kind == "pixels" && r.Inputs != r.Survived {
			t.Errorf("case %d: compact net reads %d pixels, %d groups survive", i, r.Inputs, r.Survived)
		}
		if cs.kind == "blocks" && r.Inputs > 4*r.Survived {
			t.Errorf("case %d: compact net reads %d pixels from %d blocks", i, r.Inputs, r.Survived)
		}
	}
	if _, err := RunGroupLasso(c, train, test, "rows", 2, c.Steps/2, 1, 1); err == nil {
		t.Error("unknown kind accepted")
	}
}
