package solvers

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// resumable builds a model and a solver that uses every kind of saved
// state: Adam moments, masks, movement scores and the random generator.
func resumable(t testing.TB) (*model, *Solver) {
	t.Helper()
	m := newModel(t, tensor.Float32, 21)
	inner := NewAdam()
	s, err := Wrap(inner, WithLearnRate(0.01), WithSeed(9),
		WithPruning(m.w1, Random{}, ramp{to: 0.5, end: 10}, UpdateEvery(3),
			WithRegrowth(SET{Every: 4, End: 40})),
		WithPruning(m.w2, Movement{}, ramp{to: 0.6, end: 12}))
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

func weightsOf(m *model) [][]float64 {
	out := make([][]float64, len(m.params))
	for i, p := range m.params {
		out[i] = float64s(p)
	}
	return out
}

// setWeights runs the graph once so that the weights are bound to the
// machine, then overwrites them and clears the gradients of that run.
// resumeCopy saves s, builds a fresh model and solver, copies the weights
// of m into the model and loads the checkpoint into the solver. what
// names the case in a failure.
func resumeCopy(t *testing.T, m *model, s *Solver, build func() (*model, *Solver),
	what string) (*model, *Solver) {
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	m2, s2 := build()
	setWeights(t, m2, weightsOf(m))
	if err := s2.Load(&buf); err != nil {
		t.Fatalf("%s: Load: %v", what, err)
	}
	return m2, s2
}

func setWeights(t *testing.T, m *model, w [][]float64) {
	m.forward(t)
	for i, p := range m.params {
		g, _ := p.Grad()
		g.(*tensor.Dense).Zero()
		d := p.Value().(*tensor.Dense)
		if d.Dtype() == tensor.Float64 {
			copy(d.Float64s(), w[i])
			continue
		}
		for j, v := range w[i] {
			d.Float32s()[j] = float32(v)
		}
	}
}

func TestResumeIsBitIdentical(t *testing.T) {
	const steps = 30
	ref, rs := resumable(t)
	ref.train(t, rs, steps)
	want := weightsOf(ref)

	for i, k := range []int{1, 7, 12, 20, 29} {
		m, s := resumable(t)
		m.train(t, s, k)
		var buf bytes.Buffer
		if err := s.Save(&buf); err != nil {
			t.Fatal(err)
		}
		w := weightsOf(m)

		m2, s2 := resumable(t)
		setWeights(t, m2, w)
		if err := s2.Load(&buf); err != nil {
			t.Fatalf("case %d: Load: %v", i, err)
		}
		if s2.Steps() != k {
			t.Fatalf("case %d: Steps() = %d after Load, want %d", i, s2.Steps(), k)
		}
		m2.train(t, s2, steps-k)
		got := weightsOf(m2)
		for p := range want {
			if j := bitsEqual(want[p], got[p]); j >= 0 {
				t.Fatalf("case %d (stopped at %d): %s[%d] = %v, uninterrupted run gives %v",
					i, k, m2.params[p].Name(), j, got[p][j], want[p][j])
			}
		}
	}
}

// TestResumeRestoresInnerState stops runs of each of this package's
// moment solvers, in float32 and float64, at steps around mask updates
// that bring pruned weights back and around RigL regrowths, and resumes
// them in a fresh solver. After the rest of the run, the weights and the
// saved state, moments included, must equal those of an uninterrupted
// run bit for bit.
func TestResumeRestoresInnerState(t *testing.T) {
	inners := []func() gorgonia.Solver{
		func() gorgonia.Solver { return NewMomentum() },
		func() gorgonia.Solver { return NewAdam() },
		func() gorgonia.Solver { return NewAdamW() },
	}
	prunings := []struct {
		name   string
		option func(m *model) Option
	}{
		{"rise and fall", func(m *model) Option {
			return WithPruning(m.w1, Magnitude{}, upDown{}, UpdateEvery(3))
		}},
		{"rigl", func(m *model) Option {
			return WithPruning(m.w1, Magnitude{}, constant(0.5), WithRegrowth(RigL{Every: 3, End: 30}))
		}},
	}
	const steps = 40
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, newInner := range inners {
			for _, pruning := range prunings {
				name := fmt.Sprintf("%T %v %s", newInner(), dt, pruning.name)
				build := func() (*model, *Solver) {
					m := newModel(t, dt, 77)
					s, err := Wrap(newInner(), WithLearnRate(0.02), pruning.option(m))
					if err != nil {
						t.Fatal(err)
					}
					return m, s
				}
				ref, rs := build()
				ref.train(t, rs, steps)
				var want bytes.Buffer
				if err := rs.Save(&want); err != nil {
					t.Fatal(err)
				}

				for _, k := range []int{1, 14, 15, 16, 29, 31} {
					m, s := build()
					m.train(t, s, k)
					m2, s2 := resumeCopy(t, m, s, build, fmt.Sprintf("%s stopped at %d", name, k))
					m2.train(t, s2, steps-k)
					for p, w := range weightsOf(ref) {
						got := float64s(m2.params[p])
						if j := bitsEqual(w, got); j >= 0 {
							t.Fatalf("%s stopped at %d: %s[%d] = %v, uninterrupted run gives %v",
								name, k, m2.params[p].Name(), j, got[j], w[j])
						}
					}
					var got bytes.Buffer
					if err := s2.Save(&got); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got.Bytes(), want.Bytes()) {
						t.Errorf("%s stopped at %d: saved state differs from the uninterrupted "+
							"run's", name, k)
					}
				}
			}
		}
	}
}

// TestSaveAfterHugeGradient gives a pruned or a kept weight a finite
// gradient whose square overflows, so its Adam second moment becomes
// +Inf. Save must still write a checkpoint that Load accepts, and the
// resumed run must equal the uninterrupted one bit for bit.
func TestSaveAfterHugeGradient(t *testing.T) {
	cases := []struct {
		dtype  tensor.Dtype
		huge   float64
		toKept bool // the huge gradient goes to a kept weight
	}{
		{tensor.Float32, 3e19, false},
		{tensor.Float64, 1e160, false},
		{tensor.Float32, 3e19, true},
		{tensor.Float64, 1e160, true},
	}
	for _, c := range cases {
		build := func() (*model, *Solver) {
			m := newModel(t, c.dtype, 41)
			s, err := Wrap(NewAdam(), WithLearnRate(0.02),
				WithPruning(m.w1, Magnitude{}, ramp{to: 0.6, end: 12}, UpdateEvery(4)))
			if err != nil {
				t.Fatal(err)
			}
			return m, s
		}
		// step runs the graph and gives the first pruned weight of w1 the
		// huge gradient before the Step.
		step := func(m *model, s *Solver) {
			m.forward(t)
			g, _ := m.w1.Grad()
			d := g.(*tensor.Dense)
			if j := slices.Index(s.groups[0].layers[0].keep, c.toKept); j >= 0 {
				if c.dtype == tensor.Float32 {
					d.Float32s()[j] = float32(c.huge)
				} else {
					d.Float64s()[j] = c.huge
				}
			}
			if err := s.Step(gorgonia.NodesToValueGrads(m.params)); err != nil {
				t.Fatal(err)
			}
		}
		const steps, stop = 12, 6
		ref, rs := build()
		for range steps {
			step(ref, rs)
		}

		m, s := build()
		for range stop {
			step(m, s)
		}
		m2, s2 := resumeCopy(t, m, s, build, c.dtype.String())
		for range steps - stop {
			step(m2, s2)
		}
		for p, w := range weightsOf(ref) {
			got := float64s(m2.params[p])
			if j := bitsEqual(w, got); j >= 0 {
				t.Fatalf("%v: %s[%d] = %v, uninterrupted run gives %v",
					c.dtype, m2.params[p].Name(), j, got[j], w[j])
			}
		}
	}
}

func TestLoadRejectsDamagedCheckpoint(t *testing.T) {
	m, s := resumable(t)
	m.train(t, s, 5)
	var good bytes.Buffer
	if err := s.Save(&good); err != nil {
		t.Fatal(err)
	}

	m2, s2 := resumable(t)
	m2.train(t, s2, 2)
	var before bytes.Buffer
	if err := s2.Save(&before); err != nil {
		t.Fatal(err)
	}

	data := good.Bytes()
	damaged := [][]byte{
		data[:len(data)-1],
		data[:len(data)/2],
		data[:3],
		nil,
		append(append([]byte(nil), data...), 0),
	}
	for _, at := range []int{0, 9, 20, len(data) / 2, len(data) - 2} {
		d := append([]byte(nil), data...)
		d[at] ^= 0x40
		damaged = append(damaged, d)
	}
	for i, d := range damaged {
		err := s2.Load(bytes.NewReader(d))
		if err == nil {
			t.Fatalf("case %d: Load accepted a damaged checkpoint", i)
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("case %d: Load error %v, want ErrCorrupt", i, err)
		}
		var after bytes.Buffer
		if err := s2.Save(&after); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before.Bytes(), after.Bytes()) {
			t.Fatalf("case %d: a rejected Load changed the solver's state", i)
		}
	}
}

func TestLoadRejectsOtherConfiguration(t *testing.T) {
	m, s := resumable(t)
	m.train(t, s, 3)
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	other := newModel(t, tensor.Float32, 21)
	o, err := Wrap(NewAdam(), WithPruning(other.w1, Magnitude{}, constant(0.5)))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Load(bytes.NewReader(buf.Bytes())); err == nil {
		t.Error("Load accepted a checkpoint of a solver with other pruning groups")
	}
}

func TestSaveFileReplacesAtomically(t *testing.T) {
	m, s := resumable(t)
	m.train(t, s, 4)
	dir := t.TempDir()
	path := filepath.Join(dir, "solver.ckpt")
	for i := 0; i < 2; i++ {
		if err := s.SaveFile(path); err != nil {
			t.Fatal(err)
		}
		m.train(t, s, 1)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory has %d entries after SaveFile, want 1", len(entries))
	}
	_, s2 := resumable(t)
	if err := s2.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if s2.Steps() != 5 {
		t.Errorf("Steps() = %d after LoadFile, want 5", s2.Steps())
	}
}

// failingState is an inner solver whose state cannot be saved.
type failingState struct{ *Adam }

func (failingState) MarshalState() ([]byte, error) { return nil, errors.New("no state") }

func TestFailedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "solver.ckpt")
	old := []byte("old checkpoint")
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	partial := func(w io.Writer) error {
		if _, err := w.Write(bytes.Repeat([]byte("new"), 10000)); err != nil {
			return err
		}
		return errors.New("disk full")
	}
	m := newModel(t, tensor.Float32, 22)
	s, err := Wrap(failingState{NewAdam()}, WithPruning(m.w1, Magnitude{}, constant(0.5)))
	if err != nil {
		t.Fatal(err)
	}
	writes := []struct {
		name string
		run  func() error
	}{
		{"write fails after 30000 bytes", func() error { return WriteFileAtomic(path, partial) }},
		{"Save fails", func() error { return s.SaveFile(path) }},
	}
	for i, w := range writes {
		if err := w.run(); err == nil {
			t.Fatalf("case %d (%s): no error", i, w.name)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, old) {
			t.Errorf("case %d (%s): file has %d bytes, want the old %d", i, w.name, len(got), len(old))
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Errorf("case %d (%s): directory has %d entries, want 1", i, w.name, len(entries))
		}
	}
}

func TestInnerCheckpointed(t *testing.T) {
	cases := []struct {
		inner gorgonia.Solver
		want  bool
	}{
		{NewAdam(), true},
		{NewAdamW(), true},
		{NewMomentum(), true},
		{NewSGD(), true},
		{gorgonia.NewAdamSolver(), false},
	}
	for i, c := range cases {
		s, err := Wrap(c.inner)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.InnerCheckpointed(); got != c.want {
			t.Errorf("case %d (%T): InnerCheckpointed() = %v, want %v", i, c.inner, got, c.want)
		}
	}
}

// FuzzLoad feeds arbitrary bytes to Load, whole and as a payload behind a
// valid header and checksum, and requires an error or success without a
// panic, and no change to the state on error.
func FuzzLoad(f *testing.F) {
	m, s := resumable(f)
	m.train(f, s, 3)
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		f.Fatal(err)
	}
	data := buf.Bytes()
	f.Add(data)
	f.Add(data[len(checkpointMagic)+12 : len(data)-4])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		_, s := resumable(t)
		for _, candidate := range [][]byte{in, wrapPayload(in)} {
			var before bytes.Buffer
			if err := s.Save(&before); err != nil {
				t.Fatal(err)
			}
			if err := s.Load(bytes.NewReader(candidate)); err != nil {
				var after bytes.Buffer
				if err := s.Save(&after); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(before.Bytes(), after.Bytes()) {
					t.Fatalf("a rejected Load changed the state: %v", err)
				}
			}
		}
	})
}

// wrapPayload frames a payload as Save does.
func wrapPayload(payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString(checkpointMagic)
	b.Write(binary.LittleEndian.AppendUint32(nil, checkpointVersion))
	b.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(payload))))
	b.Write(payload)
	b.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(b.Bytes(), castagnoli)))
	return b.Bytes()
}

// TestAdamStateRejectsUnwritableMoments loads Adam state with moments no
// step writes (a first moment that is NaN or infinite, a second moment
// that is NaN, negative or −Inf) and requires ErrCorrupt and an unchanged
// solver. A second moment of +Inf, which a finite gradient whose square
// overflows writes, is accepted.
func TestAdamStateRejectsUnwritableMoments(t *testing.T) {
	nan32, inf := float32(math.NaN()), math.Inf(1)
	state32 := func(m, v float32) moments {
		return moments{iter: 3, two: true, dtype: []dtypeKind{f32}, m32: [][]float32{{1, m}},
			v32: [][]float32{{1, v}}, m64: [][]float64{nil}, v64: [][]float64{nil}}
	}
	state64 := func(m, v float64) moments {
		return moments{iter: 3, two: true, dtype: []dtypeKind{f64}, m32: [][]float32{nil},
			v32: [][]float32{nil}, m64: [][]float64{{1, m}}, v64: [][]float64{{1, v}}}
	}
	cases := []struct {
		name    string
		state   moments
		corrupt bool
	}{
		{"f32 first NaN", state32(nan32, 1), true},
		{"f32 first +Inf", state32(float32(inf), 1), true},
		{"f32 second NaN", state32(1, nan32), true},
		{"f32 second negative", state32(1, -1e-30), true},
		{"f32 second +Inf", state32(1, float32(inf)), false},
		{"f64 first -Inf", state64(-inf, 1), true},
		{"f64 second -Inf", state64(1, -inf), true},
		{"f64 second +Inf", state64(1, inf), false},
		{"f64 second -0", state64(1, math.Copysign(0, -1)), false},
	}
	for _, c := range cases {
		a := NewAdam()
		before, err := a.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		err = a.UnmarshalState(c.state.marshal(kindAdam))
		if !c.corrupt {
			if err != nil {
				t.Errorf("%s: %v, want the state accepted", c.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: error %v, want ErrCorrupt", c.name, err)
		}
		after, err := a.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Errorf("%s: a rejected state changed the solver", c.name)
		}
	}
}

// tensorPair is a parameter outside a graph whose tensors a test can
// replace between steps.
type tensorPair struct{ w, g *tensor.Dense }

func (p *tensorPair) Value() gorgonia.Value         { return p.w }
func (p *tensorPair) Grad() (gorgonia.Value, error) { return p.g, nil }

func newPair(shape ...int) *tensorPair {
	n := 1
	for _, d := range shape {
		n *= d
	}
	w, g := make([]float64, n), make([]float64, n)
	for i := range w {
		w[i], g[i] = float64(i+1), 0.5
	}
	return &tensorPair{tensor.New(tensor.WithShape(shape...), tensor.WithBacking(w)),
		tensor.New(tensor.WithShape(shape...), tensor.WithBacking(g))}
}

func TestStepRejectsChangedShape(t *testing.T) {
	inners := []struct {
		name  string
		inner gorgonia.Solver
	}{
		{"gorgonia adam", gorgonia.NewAdamSolver(gorgonia.WithLearnRate(0.1))},
		{"gorgonia momentum", gorgonia.NewMomentum(gorgonia.WithLearnRate(0.1))},
		{"own adam", NewAdam()},
	}
	for _, c := range inners {
		s, err := Wrap(c.inner, WithLearnRate(0.1))
		if err != nil {
			t.Fatal(err)
		}
		p := newPair(2, 3)
		if err := s.Step([]gorgonia.ValueGrad{p}); err != nil {
			t.Fatalf("%s: first step: %v", c.name, err)
		}
		*p = *newPair(3, 3)
		want := append([]float64(nil), p.w.Float64s()...)
		err = s.Step([]gorgonia.ValueGrad{p})
		if err == nil || !strings.Contains(err.Error(), "had shape (2, 3) at the first Step") {
			t.Errorf("%s: error %v, want one naming the shape at the first Step", c.name, err)
		}
		if got := p.w.Float64s(); !slices.Equal(got, want) {
			t.Errorf("%s: rejected step changed the weights to %v", c.name, got)
		}
		if s.Steps() != 1 {
			t.Errorf("%s: Steps() = %d after a rejected step, want 1", c.name, s.Steps())
		}
	}
}
