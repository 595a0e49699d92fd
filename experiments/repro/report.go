package repro

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Options are the command-line settings of a reproduction run.
type Options struct {
	// Data, if not empty, replaces the recipe's data folder.
	Data string
	// Out is the folder the report, results and plots are written to.
	Out string
	// Seeds, if positive, replaces the recipe's seeds by 1 … Seeds.
	Seeds int
	// Progress, if not nil, receives one line per finished run.
	Progress io.Writer
}

func (o Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// startReport creates the report folder dir and writes rows into its
// results.jsonl, one JSON object per line.
func startReport[T any](dir string, rows []T) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrap(err, "repro: writing report")
	}
	return writeJSONL(filepath.Join(dir, "results.jsonl"), rows)
}

// runGrid calls run for every point and seed, with the points in the
// outer loop, sends describe's line for each result to o.Progress and
// returns the results in that order.
func runGrid[P, R any](o Options, points []P, seeds []int64, run func(P, int64) (R, error),
	describe func(R) string) ([]R, error) {
	var out []R
	for _, p := range points {
		for _, seed := range seeds {
			r, err := run(p, seed)
			if err != nil {
				return nil, err
			}
			o.logf("%s", describe(r))
			out = append(out, r)
		}
	}
	return out, nil
}

// writeJSONL writes one JSON object per line.
func writeJSONL[T any](path string, rows []T) error {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrap(err, "repro: writing results")
	}
	enc := json.NewEncoder(f)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return errors.Wrapf(err, "repro: writing %s", path)
		}
	}
	return errors.Wrapf(f.Close(), "repro: writing %s", path)
}

func writeFile(dir, name, text string) error {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		return errors.Wrap(err, "repro: writing report")
	}
	return nil
}

// sizesText writes layer widths as "64-32-10".
func sizesText(sizes []int) string {
	parts := make([]string, len(sizes))
	for i, v := range sizes {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, "-")
}
