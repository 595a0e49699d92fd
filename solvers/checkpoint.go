package solvers

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// Checkpointer is an inner solver whose state Save and Load include. The
// solvers of this package implement it.
type Checkpointer interface {
	MarshalState() ([]byte, error)
	UnmarshalState(data []byte) error
}

// ErrCorrupt is returned, wrapped, by Load for data that is not an intact
// checkpoint: a wrong magic or version, a truncated file, a checksum
// mismatch, or inner solver moments that no step writes: a first moment
// that is not finite, or a second moment that is NaN or negative.
var ErrCorrupt = errors.New("solvers: corrupt checkpoint")

// Checkpoint layout: magic, version (uint32), payload length (uint64),
// payload, CRC-32 (Castagnoli) of everything before it. Integers are
// little-endian.
const (
	checkpointMagic   = "RSCHKPT\x00"
	checkpointVersion = 1
	maxCheckpoint     = 1 << 34
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Save writes the solver's state: the step counter, the random number
// generator, λ of every term, the state of every adaptive policy, every
// mask and pruning score, and the inner solver's state when it is a
// Checkpointer (see InnerCheckpointed). Before it writes the inner state,
// it zeros the moments of pruned weights: they move only their own
// weight, which the mask holds at 0, and the next mask update zeros them
// anyway. It does not write the model's weights, which belong with the
// model.
func (s *Solver) Save(w io.Writer) error {
	payload, err := s.marshal()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(checkpointMagic)
	buf.Write(binary.LittleEndian.AppendUint32(nil, checkpointVersion))
	buf.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(payload))))
	buf.Write(payload)
	sum := crc32.Checksum(buf.Bytes(), castagnoli)
	buf.Write(binary.LittleEndian.AppendUint32(nil, sum))
	if _, err := w.Write(buf.Bytes()); err != nil {
		return errors.Wrap(err, "solvers: Save")
	}
	return nil
}

// SaveFile writes the checkpoint to path with WriteFileAtomic, so path
// contains either the old or the new checkpoint after a failure or a crash.
func (s *Solver) SaveFile(path string) error {
	return errors.Wrap(WriteFileAtomic(path, s.Save), "solvers: SaveFile")
}

// WriteFileAtomic replaces the file at path by what write writes: it
// writes a temporary file in the same directory through a buffer, syncs
// it, renames it over path and syncs the directory. If write or any step
// fails, the temporary file is removed and path is left as it was. The
// new file has mode 0600 (os.CreateTemp's).
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".tmp*")
	if err != nil {
		return errors.Wrap(err, "write file")
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return errors.Wrapf(err, "write %s", f.Name())
	}
	if err = f.Sync(); err != nil {
		return errors.Wrapf(err, "sync %s", f.Name())
	}
	if err = f.Close(); err != nil {
		return errors.Wrapf(err, "close %s", f.Name())
	}

	if err = os.Rename(f.Name(), path); err != nil {
		return errors.Wrapf(err, "rename to %s", path)
	}

	d, err := os.Open(dir)
	if err != nil {
		return errors.Wrapf(err, "open directory %s", dir)
	}
	defer d.Close()
	return errors.Wrapf(d.Sync(), "sync directory %s", dir)
}

// LoadFile restores the checkpoint at path. See Load.
func (s *Solver) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return errors.Wrap(err, "solvers: LoadFile")
	}
	defer f.Close()
	return s.Load(bufio.NewReader(f))
}

// Load restores state written by Save from a Solver built with the same
// options. It rejects a truncated or corrupted checkpoint (ErrCorrupt) or
// one written by a differently configured solver, and then changes
// nothing. After Load the coefficient nodes contain λ of the restored step.
// With a Gorgonia inner solver the inner moments restart from zero.
func (s *Solver) Load(r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, maxCheckpoint))
	if err != nil {
		return errors.Wrap(err, "solvers: Load")
	}
	head := len(checkpointMagic) + 4 + 8
	if len(data) < head+4 || string(data[:len(checkpointMagic)]) != checkpointMagic {
		return errors.Wrap(ErrCorrupt, "solvers: Load: not a checkpoint")
	}
	version := binary.LittleEndian.Uint32(data[len(checkpointMagic):])
	if version != checkpointVersion {
		return errors.Wrapf(ErrCorrupt, "solvers: Load: version %d, expected %d",
			version, checkpointVersion)
	}
	n := binary.LittleEndian.Uint64(data[len(checkpointMagic)+4:])
	if n != uint64(len(data)-head-4) {
		return errors.Wrapf(ErrCorrupt, "solvers: Load: payload of %d bytes, expected %d",
			len(data)-head-4, n)
	}
	sum := binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(data[:len(data)-4], castagnoli) != sum {
		return errors.Wrap(ErrCorrupt, "solvers: Load: checksum mismatch")
	}
	return s.unmarshal(data[head : len(data)-4])
}

// encoder appends little-endian values.
type encoder struct{ b []byte }

func (e *encoder) u64(v uint64)   { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *encoder) int(v int)      { e.u64(uint64(int64(v))) }
func (e *encoder) f64(v float64)  { e.u64(math.Float64bits(v)) }
func (e *encoder) bytes(v []byte) { e.int(len(v)); e.b = append(e.b, v...) }
func (e *encoder) str(v string)   { e.int(len(v)); e.b = append(e.b, v...) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *encoder) f64s(v []float64) {
	e.int(len(v))
	for _, x := range v {
		e.f64(x)
	}
}
func (e *encoder) f32s(v []float32) {
	e.int(len(v))
	for _, x := range v {
		e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(x))
	}
}
func (e *encoder) bits(v []bool) {
	e.int(len(v))
	packed := make([]byte, (len(v)+7)/8)
	for i, x := range v {
		if x {
			packed[i/8] |= 1 << (i % 8)
		}
	}
	e.b = append(e.b, packed...)
}

// decoder reads what encoder wrote. The first failure sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = errors.Wrap(ErrCorrupt, "solvers: Load: payload ends early")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u64() uint64 {
	if v := d.take(8); v != nil {
		return binary.LittleEndian.Uint64(v)
	}
	return 0
}
func (d *decoder) int() int      { return int(int64(d.u64())) }
func (d *decoder) f64() float64  { return math.Float64frombits(d.u64()) }
func (d *decoder) bytes() []byte { return bytes.Clone(d.take(d.int())) }
func (d *decoder) str() string   { return string(d.take(d.int())) }
func (d *decoder) bool() bool    { v := d.take(1); return v != nil && v[0] == 1 }
func (d *decoder) count(per int) int {
	n := d.int()
	if d.err == nil && (n < 0 || n > len(d.b)/max(per, 1)) {
		d.err = errors.Wrap(ErrCorrupt, "solvers: Load: bad length")
		return 0
	}
	return n
}
func (d *decoder) f64s() []float64 {
	n := d.count(8)
	v := make([]float64, n)
	for i := range v {
		v[i] = d.f64()
	}
	return v
}
func (d *decoder) f32s() []float32 {
	n := d.count(4)
	v := make([]float32, n)
	for i := range v {
		if b := d.take(4); b != nil {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
		}
	}
	return v
}
func (d *decoder) bits() []bool {
	n := d.int()
	if d.err == nil && (n < 0 || (n+7)/8 > len(d.b)) {
		d.err = errors.Wrap(ErrCorrupt, "solvers: Load: bad mask length")
		return nil
	}
	packed := d.take((n + 7) / 8)
	v := make([]bool, n)
	for i := range v {
		v[i] = packed[i/8]&(1<<(i%8)) != 0
	}
	return v
}

// marshal encodes the solver's state.
func (s *Solver) marshal() ([]byte, error) {
	var e encoder
	e.int(s.step)
	rng, err := s.rng.MarshalBinary()
	if err != nil {
		return nil, errors.Wrap(err, "solvers: Save: random number generator")
	}
	e.bytes(rng)

	e.int(len(s.terms))
	for _, t := range s.terms {
		e.str(t.entry.Name)
		e.f64(t.lambda)
	}
	e.int(len(s.adaptive))
	for i, a := range s.adaptive {
		st, err := a.MarshalState()
		if err != nil {
			return nil, errors.Wrapf(err, "solvers: Save: adaptive schedule %d", i)
		}
		e.bytes(st)
	}

	e.int(len(s.groups))
	for _, g := range s.groups {
		e.f64(g.target)
		e.bool(g.updated)
		e.int(len(g.layers))
		for _, l := range g.layers {
			e.str(l.name)
			e.bits(l.keep)
			e.int(l.flips)
			e.f64s(l.movement)
		}
	}

	cp, ok := s.inner.(Checkpointer)
	e.bool(ok)
	if ok {
		s.resetPrunedMoments(s.groups...)
		st, err := cp.MarshalState()
		if err != nil {
			return nil, errors.Wrap(err, "solvers: Save: inner solver")
		}
		e.bytes(st)
	}
	return e.b, nil
}

// unmarshal decodes a payload, checks it against the solver's
// configuration and only then replaces the state.
func (s *Solver) unmarshal(payload []byte) error {
	d := &decoder{b: payload}
	step := d.int()
	rng := d.bytes()

	nTerms := d.count(16)
	for i := 0; i < nTerms; i++ {
		name := d.str()
		_ = d.f64() // λ of the last step, kept for readers of the file
		if d.err == nil && (i >= len(s.terms) || s.terms[i].entry.Name != name) {
			return errors.Errorf("solvers: Load: term %d is %q, which this solver does not "+
				"have at that position", i, name)
		}
	}
	if d.err == nil && nTerms != len(s.terms) {
		return errors.Errorf("solvers: Load: checkpoint has %d terms, the solver %d",
			nTerms, len(s.terms))
	}
	nAdaptive := d.count(8)
	adaptive := make([][]byte, nAdaptive)
	for i := range adaptive {
		adaptive[i] = d.bytes()
	}
	if d.err == nil && nAdaptive != len(s.adaptive) {
		return errors.Errorf("solvers: Load: checkpoint has %d adaptive schedules, the "+
			"solver %d", nAdaptive, len(s.adaptive))
	}

	type layerState struct {
		keep     []bool
		flips    int
		movement []float64
	}
	type groupState struct {
		target  float64
		updated bool
		layers  []layerState
	}
	nGroups := d.count(8)
	if d.err == nil && nGroups != len(s.groups) {
		return errors.Errorf("solvers: Load: checkpoint has %d pruning groups, the "+
			"solver %d", nGroups, len(s.groups))
	}
	groups := make([]groupState, nGroups)
	for gi := range groups {
		g := s.groups[gi]
		gs := &groups[gi]
		gs.target, gs.updated = d.f64(), d.bool()
		n := d.count(8)
		if d.err == nil && n != len(g.layers) {
			return errors.Errorf("solvers: Load: pruning group %d has %d parameters in the "+
				"checkpoint, %d in the solver", gi, n, len(g.layers))
		}
		gs.layers = make([]layerState, n)
		for li := range gs.layers {
			l := g.layers[li]
			name := d.str()
			ls := &gs.layers[li]
			ls.keep, ls.flips, ls.movement = d.bits(), d.int(), d.f64s()
			if d.err != nil {
				break
			}
			if name != l.name || len(ls.keep) != l.size || len(ls.movement) != len(l.movement) {
				return errors.Errorf("solvers: Load: pruned parameter %d of group %d is %q "+
					"with %d weights in the checkpoint, %q with %d in the solver",
					li, gi, name, len(ls.keep), l.name, l.size)
			}
		}
	}
	hasInner := d.bool()
	var inner []byte
	if hasInner {
		inner = d.bytes()
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return errors.Wrapf(ErrCorrupt, "solvers: Load: %d bytes after the payload", len(d.b))
	}
	if step < 0 {
		return errors.Wrapf(ErrCorrupt, "solvers: Load: step %d is negative", step)
	}
	cp, isCp := s.inner.(Checkpointer)
	if hasInner != isCp {
		return errors.Errorf("solvers: Load: the checkpoint has inner solver state: %v, "+
			"the inner solver %T keeps one: %v", hasInner, s.inner, isCp)
	}

	// Restore the parts that can fail, keeping backups to roll back.
	backups := make([][]byte, len(s.adaptive))
	for i, a := range s.adaptive {
		b, err := a.MarshalState()
		if err != nil {
			return errors.Wrapf(err, "solvers: Load: back up adaptive schedule %d", i)
		}
		backups[i] = b
	}
	var innerBackup []byte
	if isCp {
		var err error
		if innerBackup, err = cp.MarshalState(); err != nil {
			return errors.Wrap(err, "solvers: Load: back up inner solver")
		}
	}
	rngBackup, err := s.rng.MarshalBinary()
	if err != nil {
		return errors.Wrap(err, "solvers: Load: back up random number generator")
	}
	rollback := func() {
		for i, a := range s.adaptive {
			_ = a.UnmarshalState(backups[i])
		}
		if isCp {
			_ = cp.UnmarshalState(innerBackup)
		}
		_ = s.rng.UnmarshalBinary(rngBackup)
		_ = s.writeCoefficients(s.step)
	}
	fail := func(err error, what string) error {
		rollback()
		return errors.Wrapf(err, "solvers: Load: %s", what)
	}
	if err := s.rng.UnmarshalBinary(rng); err != nil {
		return fail(err, "random number generator")
	}
	for i, a := range s.adaptive {
		if err := a.UnmarshalState(adaptive[i]); err != nil {
			return fail(err, "adaptive schedule")
		}
	}
	if isCp {
		if err := cp.UnmarshalState(inner); err != nil {
			return fail(err, "inner solver")
		}
	}
	for i := range s.terms {
		if _, err := s.lambdaAt(i, step); err != nil {
			return fail(err, "restored schedule")
		}
	}
	if err := s.writeCoefficients(step); err != nil {
		return fail(err, "write coefficients")
	}

	s.step = step
	for gi, g := range s.groups {
		gs := &groups[gi]
		g.target, g.updated = gs.target, gs.updated
		for li, l := range g.layers {
			ls := &gs.layers[li]
			copy(l.keep, ls.keep)
			copy(l.movement, ls.movement)
			l.flips = ls.flips
			l.pruned = 0
			for _, k := range l.keep {
				if !k {
					l.pruned++
				}
			}
		}
	}
	return nil
}
