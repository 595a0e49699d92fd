package schedules

// Schedule is a multiplier λ(t) as a function of the optimizer step.
// Step 0 is the first optimizer step. At never mutates the schedule.
type Schedule interface {
	At(step int) float64
}

// Decision records one move of an adaptive multiplier, so that a run's
// metrics show why λ changed.
type Decision struct {
	Step   int     `json:"step"`
	Policy string  `json:"policy"`
	Signal string  `json:"signal"`
	Value  float64 `json:"value"`
	Old    float64 `json:"old"`
	New    float64 `json:"new"`
	Reason string  `json:"reason"`
	// Owner names what the multiplier scales, such as a penalty term or
	// a pruning group. Policies leave it empty, and the wrapping solver
	// in package solvers fills it in.
	Owner string `json:"owner,omitempty"`
}

// Adaptive is a schedule whose value is base(t)·m, where a policy moves
// the multiplier m from measured signals. At reads the current m and
// does not change it. Only Update moves m.
type Adaptive interface {
	Schedule

	// Update feeds the signals measured after the given step (named
	// values such as "sparsity" or "val_acc") and moves m. It returns
	// the decisions made, or nil when m did not move. Signals the
	// policy does not read are ignored, and a missing signal it reads
	// leaves m unchanged.
	Update(step int, signals map[string]float64) []Decision

	// MarshalState and UnmarshalState save and restore m and every
	// field the policy moves, so a resumed run is bit-identical.
	MarshalState() ([]byte, error)
	UnmarshalState(data []byte) error
}
