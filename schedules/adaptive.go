package schedules

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/pkg/errors"
)

// stateVersion is the version written by MarshalState. UnmarshalState
// rejects any other.
const stateVersion = 1

// Defaults that Parse gives an adaptive multiplier's omitted arguments.
const (
	DefaultInit = 1   // initial multiplier m
	DefaultMin  = 0   // lower bound of m
	DefaultMax  = 1e6 // upper bound of m
)

// Bounds contains the start value of a multiplier m and the closed interval
// it stays in.
type Bounds struct {
	Init, Min, Max float64
}

// validate checks that the bounds are finite, Min ≥ 0, Min ≤ Max and Init
// lies in [Min, Max].
func (b Bounds) validate(fn string) error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"init", b.Init}, {"min", b.Min}, {"max", b.Max}} {
		if err := checkFinite(fn, f.name, f.v); err != nil {
			return err
		}
	}
	if b.Min < 0 {
		return errorf(fn, "min (%s) is negative", formatFloat(b.Min))
	}
	if b.Min > b.Max {
		return errorf(fn, "min (%s) is above max (%s)", formatFloat(b.Min), formatFloat(b.Max))
	}
	if b.Init < b.Min || b.Init > b.Max {
		return errorf(fn, "init (%s) is outside [min, max] = [%s, %s]", formatFloat(b.Init),
			formatFloat(b.Min), formatFloat(b.Max))
	}
	return nil
}

// clamp limits v to [Min, Max] and maps NaN to Min.
func (b Bounds) clamp(v float64) float64 {
	if !(v >= b.Min) {
		return b.Min
	}
	return math.Min(v, b.Max)
}

// args returns the key=value text of the bounds that differ from the
// defaults.
func (b Bounds) args() []string {
	var args []string
	if b.Init != DefaultInit {
		args = append(args, "init="+formatFloat(b.Init))
	}
	if b.Min != DefaultMin {
		args = append(args, "min="+formatFloat(b.Min))
	}
	if b.Max != DefaultMax {
		args = append(args, "max="+formatFloat(b.Max))
	}
	return args
}

// readSignal returns the named signal. ok is false when the signal is
// missing or not finite. A non-finite value is reported in a Decision
// that leaves m unchanged, with Value 0 because JSON has no NaN.
func readSignal(policy, name string, step int, signals map[string]float64,
	m float64) (v float64, ok bool, notes []Decision) {
	v, found := signals[name]
	if !found {
		return 0, false, nil
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, []Decision{{Step: step, Policy: policy, Signal: name, Old: m, New: m,
			Reason: fmt.Sprintf("ignored %s: value %v is not finite", name, v)}}
	}
	return v, true, nil
}

// policyState is the part of a policy's saved state that every policy
// has. Each policy's state type embeds it, and encoding/json writes its
// fields at the top level of the state object.
type policyState struct {
	Version int     `json:"version"`
	Policy  string  `json:"policy"`
	Started bool    `json:"started"` // false until the first update that read the signal
	M       float64 `json:"m"`
}

// multiplier returns m, or init before the first update.
func (s *policyState) multiplier(init float64) float64 {
	if !s.Started {
		return init
	}
	return s.M
}

func (s *policyState) header() *policyState { return s }

// stateWithHeader is a policy's state type, which embeds policyState.
type stateWithHeader interface{ header() *policyState }

// marshalPolicyState encodes state, a copy of a policy's state, as JSON
// stamped with the state version and the policy's name.
func marshalPolicyState(policy string, state stateWithHeader) ([]byte, error) {
	h := state.header()
	h.Version, h.Policy = stateVersion, policy
	return json.Marshal(state)
}

// unmarshalPolicyState decodes data into state and checks the version,
// the policy's name and that a started m lies in [b.Min, b.Max]. It then
// clears the version and name so that state compares equal to a live one.
func unmarshalPolicyState(policy string, data []byte, b Bounds, state stateWithHeader) error {
	if err := unmarshalState(policy, data, state); err != nil {
		return err
	}
	h := state.header()
	if h.Started {
		if err := checkStateM(policy, b, h.M); err != nil {
			return err
		}
	}
	h.Version, h.Policy = 0, ""
	return nil
}

// unmarshalState decodes data into state after checking the version and
// policy name. It changes nothing on error.
func unmarshalState(policy string, data []byte, state any) error {
	var head struct {
		Version int    `json:"version"`
		Policy  string `json:"policy"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return errors.Wrapf(err, "schedules: %s: decoding state", policy)
	}
	if head.Version != stateVersion {
		return errorf(policy, "state version (%d) is not %d", head.Version, stateVersion)
	}
	if head.Policy != policy {
		return errorf(policy, "state is of policy %q", head.Policy)
	}
	if err := json.Unmarshal(data, state); err != nil {
		return errors.Wrapf(err, "schedules: %s: decoding state", policy)
	}
	return nil
}

// checkStateM checks a restored multiplier against the bounds.
func checkStateM(fn string, b Bounds, m float64) error {
	if math.IsNaN(m) || m < b.Min || m > b.Max {
		return errorf(fn, "state multiplier (%s) is outside [%s, %s]", formatFloat(m),
			formatFloat(b.Min), formatFloat(b.Max))
	}
	return nil
}

func checkSignalName(fn, name string) error {
	if name == "" {
		return errorf(fn, "signal name is empty")
	}
	return nil
}

// Mode selects whether a smaller or a larger signal is better.
type Mode string

// Modes for Plateau and Guard.
const (
	Min Mode = "min" // smaller is better, as for a loss
	Max Mode = "max" // larger is better, as for an accuracy
)

func (m Mode) validate(fn string) error {
	if m != Min && m != Max {
		return errorf(fn, "mode (%q) is neither min nor max", string(m))
	}
	return nil
}

// better reports whether v improves on best by more than threshold.
func (m Mode) better(v, best, threshold float64) bool {
	if m == Min {
		return v < best-threshold
	}
	return v > best+threshold
}
