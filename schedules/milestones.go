package schedules

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/pkg/errors"
)

// Milestone switches a Milestones schedule to S from Step on.
type Milestone struct {
	Step int
	S    Schedule
}

// Milestones runs Initial until the first milestone's step and then each
// milestone's schedule from its step on, in absolute steps: at step t it
// returns S.At(t), not S.At(t − Step) as Join does. Any of the schedules
// may be Adaptive, and Update goes to the one in force at the updated
// step. Each switch is reported as a Decision whose Old and New are the
// values of the outgoing and incoming schedules at the next step. The
// steps must be strictly increasing.
//
// Milestones is not safe for concurrent use.
type Milestones struct {
	Initial Schedule
	Points  []Milestone
}

var _ Adaptive = (*Milestones)(nil)

// index returns 0 for Initial and i+1 for Points[i], the schedule in force
// at step.
func (ms *Milestones) index(step int) int {
	return sort.Search(len(ms.Points), func(i int) bool { return ms.Points[i].Step > step })
}

func (ms *Milestones) schedule(i int) Schedule {
	if i == 0 {
		return ms.Initial
	}
	return ms.Points[i-1].S
}

// At returns the value of the schedule in force at step.
func (ms *Milestones) At(step int) float64 {
	return ms.schedule(ms.index(step)).At(step)
}

// Update forwards the signals to the schedule in force at step when it is
// Adaptive, and reports a switch when the next step starts a milestone.
func (ms *Milestones) Update(step int, signals map[string]float64) []Decision {
	cur := ms.index(step)
	var out []Decision
	if a, ok := ms.schedule(cur).(Adaptive); ok {
		out = a.Update(step, signals)
	}
	if next := ms.index(step + 1); next != cur {
		out = append(out, Decision{Step: step, Policy: "milestones",
			Old: ms.schedule(cur).At(step + 1), New: ms.schedule(next).At(step + 1),
			Reason: fmt.Sprintf("switched to %s at step %d",
				formatSchedule(ms.schedule(next)), step+1)})
	}
	return out
}

type milestonesState struct {
	Version  int               `json:"version"`
	Policy   string            `json:"policy"`
	Children []json.RawMessage `json:"children"`
}

// MarshalState returns the states of the Adaptive schedules, in order, as
// JSON, with null for the others.
func (ms *Milestones) MarshalState() ([]byte, error) {
	s := milestonesState{Version: stateVersion, Policy: "milestones"}
	for i := 0; i <= len(ms.Points); i++ {
		child := json.RawMessage("null")
		if a, ok := ms.schedule(i).(Adaptive); ok {
			data, err := a.MarshalState()
			if err != nil {
				return nil, err
			}
			child = data
		}
		s.Children = append(s.Children, child)
	}
	return json.Marshal(s)
}

// UnmarshalState restores the state written by MarshalState. On error it
// puts back the states the schedules had before the call.
func (ms *Milestones) UnmarshalState(data []byte) error {
	var s milestonesState
	if err := unmarshalState("milestones", data, &s); err != nil {
		return err
	}
	if len(s.Children) != len(ms.Points)+1 {
		return errorf("milestones", "state has %d schedules, expected %d", len(s.Children),
			len(ms.Points)+1)
	}
	previous, err := ms.MarshalState()
	if err != nil {
		return err
	}
	for i, child := range s.Children {
		a, ok := ms.schedule(i).(Adaptive)
		if !ok {
			continue
		}
		if err := a.UnmarshalState(child); err != nil {
			ms.restore(previous)
			return errors.Wrapf(err, "schedules: milestones: schedule %d", i)
		}
	}
	return nil
}

// restore puts back states written by MarshalState, which decode without
// error because they came from these schedules.
func (ms *Milestones) restore(data []byte) {
	var s milestonesState
	if json.Unmarshal(data, &s) != nil {
		return
	}
	for i, child := range s.Children {
		if a, ok := ms.schedule(i).(Adaptive); ok {
			_ = a.UnmarshalState(child)
		}
	}
}

// Validate returns an error naming the first invalid schedule or step.
func (ms *Milestones) Validate() error {
	if err := validateEntry("milestones", "initial schedule", ms.Initial); err != nil {
		return err
	}
	for i, p := range ms.Points {
		name := "milestone " + strconv.Itoa(i+1)
		if err := checkStep("milestones", name, p.Step); err != nil {
			return err
		}
		if i > 0 && p.Step <= ms.Points[i-1].Step {
			return errorf("milestones", "%s (%d) is not after the milestone before it (%d)",
				name, p.Step, ms.Points[i-1].Step)
		}
		if err := validateEntry("milestones", name+" schedule", p.S); err != nil {
			return err
		}
	}
	return nil
}

// String returns the text form "milestones(S0, t1:S1, t2:S2, ...)".
func (ms *Milestones) String() string {
	args := []string{formatSchedule(ms.Initial)}
	for _, p := range ms.Points {
		args = append(args, strconv.Itoa(p.Step)+":"+formatSchedule(p.S))
	}
	return formatCall("milestones", args...)
}
