package solvers

import (
	"io"

	"github.com/pkg/errors"
)

// Checkpointer is an inner solver whose state Save and Load include. The
// solvers of this package implement it.
type Checkpointer interface {
	MarshalState() ([]byte, error)
	UnmarshalState(data []byte) error
}

// Save writes the solver's state.
func (s *Solver) Save(w io.Writer) error { return errors.New("solvers: Save: not implemented yet") }

// Load restores state written by Save.
func (s *Solver) Load(r io.Reader) error { return errors.New("solvers: Load: not implemented yet") }
