package ops

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Penalty returns the scalar node coef·R(w).
func Penalty(w, coef *gorgonia.Node, t Term) (*gorgonia.Node, error) {
	return nil, errors.New("ops: Penalty: not implemented yet")
}
