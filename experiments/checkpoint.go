package experiments

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"

	"github.com/regsched/regsched/solvers"
)

// CheckpointDir is the folder inside a run folder that contains one
// checkpoint per variant and seed when RunOptions.CheckpointEvery is set.
const CheckpointDir = "checkpoints"

// Run checkpoint layout, with little-endian integers:
//
//	magic, version (uint32), completed steps (uint64)
//	length of the run identity (uint64) and the identity text
//	number of parameters (uint64), then per parameter:
//	    length (uint64) and float64 values
//	length of the solver's Save output (uint64) and that output
//	CRC-32 (Castagnoli) of everything before it
//
// Version 1 had no run identity; such checkpoints are still read.
const (
	runCheckpointMagic   = "RSRUN\x00\x00\x00"
	runCheckpointVersion = 2
)

// checkpointIdentity returns the run a checkpoint belongs to: the recipe
// name and hash, the variant and the seed. A checkpoint copied from
// another run or written for another recipe fails to match it.
func (t *trainer) checkpointIdentity() string {
	return fmt.Sprintf("%s/%s/seed%d hash %s", t.recipe.Name, t.variant.name, t.seed,
		t.recipe.Hash())
}

var runCastagnoli = crc32.MakeTable(crc32.Castagnoli)

// errNoCheckpoint is returned by loadCheckpoint when a run has none yet.
var errNoCheckpoint = errors.New("experiments: no checkpoint")

func checkpointPath(dir string, t *trainer) string {
	return filepath.Join(dir, CheckpointDir, fmt.Sprintf("%s-seed%d.ckpt", t.variant.name, t.seed))
}

// saveCheckpoint writes the weights and the solver state after step
// completed steps to path, replacing an older checkpoint atomically.
func (t *trainer) saveCheckpoint(path string, step int) error {
	var state bytes.Buffer
	if err := t.model.solver.Save(&state); err != nil {
		return errors.Wrapf(err, "experiments: checkpoint of %s", path)
	}
	var b []byte
	b = append(b, runCheckpointMagic...)
	b = binary.LittleEndian.AppendUint32(b, runCheckpointVersion)
	b = binary.LittleEndian.AppendUint64(b, uint64(step))
	id := t.checkpointIdentity()
	b = binary.LittleEndian.AppendUint64(b, uint64(len(id)))
	b = append(b, id...)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(t.model.params)))
	for _, p := range t.model.params {
		data := p.Value().Data().([]float64)
		b = binary.LittleEndian.AppendUint64(b, uint64(len(data)))
		for _, v := range data {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(state.Len()))
	b = append(b, state.Bytes()...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, runCastagnoli))

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errors.Wrap(err, "experiments: checkpoint")
	}
	err := solvers.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	return errors.Wrapf(err, "experiments: checkpoint %s", path)
}

// loadCheckpoint restores the weights and the solver state from path and
// returns the number of completed steps. A missing file is
// errNoCheckpoint. A damaged file or one that does not fit the model is
// an error that changes nothing.
func (t *trainer) loadCheckpoint(path string) (int, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, errNoCheckpoint
	}
	if err != nil {
		return 0, errors.Wrap(err, "experiments: resume")
	}
	bad := func(what string) error {
		return errors.Errorf("experiments: resume: %s: %s, so delete it to restart this run",
			path, what)
	}
	head := len(runCheckpointMagic) + 4
	if len(data) < head+4 || string(data[:len(runCheckpointMagic)]) != runCheckpointMagic {
		return 0, bad("not a run checkpoint")
	}
	version := binary.LittleEndian.Uint32(data[len(runCheckpointMagic):])
	if version != 1 && version != runCheckpointVersion {
		return 0, bad(fmt.Sprintf("version %d, expected %d", version, runCheckpointVersion))
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, runCastagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return 0, bad("checksum mismatch")
	}

	rest := body[head:]
	next := func() (uint64, bool) {
		if len(rest) < 8 {
			return 0, false
		}
		v := binary.LittleEndian.Uint64(rest)
		rest = rest[8:]
		return v, true
	}
	step, ok1 := next()
	if version >= 2 {
		n, ok := next()
		if !ok || n > uint64(len(rest)) {
			return 0, bad("run identity has the wrong length")
		}
		id, want := string(rest[:n]), t.checkpointIdentity()
		if id != want {
			return 0, bad(fmt.Sprintf("checkpoint of %s, not of %s", truncate(id, 120), want))
		}
		rest = rest[n:]
	}
	count, ok2 := next()
	params := t.model.params
	if !ok1 || !ok2 || step > uint64(t.recipe.Steps) || count != uint64(len(params)) {
		return 0, bad(fmt.Sprintf("step %d and %d parameters do not fit %d steps and %d parameters",
			step, count, t.recipe.Steps, len(params)))
	}

	weights := make([][]float64, len(params))
	for i, p := range params {
		n, ok := next()
		size := len(p.Value().Data().([]float64))
		if !ok || n != uint64(size) || uint64(len(rest)) < 8*n {
			return 0, bad(fmt.Sprintf("parameter %s does not have %d weights", p.Name(), size))
		}
		weights[i] = make([]float64, size)
		for j := range weights[i] {
			weights[i][j] = math.Float64frombits(binary.LittleEndian.Uint64(rest[8*j:]))
		}
		rest = rest[8*n:]
	}

	n, ok := next()
	if !ok || n != uint64(len(rest)) {
		return 0, bad("solver state has the wrong length")
	}
	if err := t.model.solver.Load(bytes.NewReader(rest)); err != nil {
		return 0, errors.Wrapf(err, "experiments: resume: %s", path)
	}
	for i, p := range params {
		copy(p.Value().Data().([]float64), weights[i])
	}
	return int(step), nil
}

// truncate shortens s to at most n bytes, marking a cut with "…", so an
// error message never repeats a long or damaged input in full.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
