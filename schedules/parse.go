package schedules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// maxDepth bounds the nesting of calls in a spec.
const maxDepth = 64

// Parse reads the text form of a schedule, such as
//
//	every(100, poly(0, 0.9, 0, 1050))
//	poly(from=0, to=0.9, start=0, end=1000, power=3)
//
// A spec is a call: a function name and arguments in parentheses,
// separated by commas. Arguments are positional or key=value (positional
// ones first), numbers are Go float literals, steps are whole numbers,
// and white space between tokens is ignored. The functions and their
// arguments, in positional order, are
//
//	constant(value)
//	linear(from, to, start, end)
//	poly(from, to, start, end, power=3)
//	exp(from, to, start, end)
//	cosine(from, to, start, end)
//	steps(initial, step1:value1, step2:value2, ...)
//	cyclic(low, high, period)
//	restarts(from, to, period, mult=1)
//	onecycle(low, high, start, end)
//	every(n, schedule)
//	delay(steps, schedule)
//	scale(factor, schedule)
//	clamp(low, high, schedule)
//	join(first, step, second)
//
// and the adaptive multipliers (see their types), whose omitted bounds
// are init=1, min=0 and max=1e6:
//
//	track(base, signal=sparsity, target, kp=0, ki=0, decreasing=false)
//	plateau(base, signal=loss, mode=min, patience, cooldown=0, factor,
//	        threshold=0)
//	dual(base, signal, bound, rate)
//	guard(base, signal, mode=max, tolerance=0, factor=0.5, hold=0,
//	      recover=1)
//	milestones(initial, step1:schedule1, step2:schedule2, ...)
//
// A signal name or mode is a bare word of letters, digits, '_', '.' and
// '/' that starts with a letter, or a Go quoted string. Wherever a
// schedule is expected, a bare number v is read as constant(v). The
// result is validated, and Parse(s.String()) returns a schedule equal to
// s.
//
// An error names the function, the argument and the value, for example
// "schedules: poly: end (50) is before start (100)".
func Parse(spec string) (Schedule, error) {
	p := &parser{src: spec}
	v, err := p.parseValue(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, p.errorf(p.pos, "unexpected %s after the end of the schedule", p.describe())
	}
	if v.kind != callValue {
		return nil, errors.Errorf("schedules: spec %q is not a call such as linear(0, 1, 0, 100)",
			spec)
	}
	return buildSchedule(v)
}

// MustParse is like Parse but panics on error. It is meant for specs
// written in code, not for user input.
func MustParse(spec string) Schedule {
	s, err := Parse(spec)
	if err != nil {
		panic(err)
	}
	return s
}

type valueKind int

const (
	numberValue valueKind = iota
	nameValue
	callValue
	pairValue
)

// value is one parsed argument: a number, a name, a call, or a pair
// "step:value" whose right side is in right.
type value struct {
	kind  valueKind
	pos   int
	text  string // a number or name as written, or a call's name
	num   float64
	args  []argument // a call's arguments
	right *value     // a pair's value
}

// argument is one argument of a call. key is empty when positional.
type argument struct {
	key string
	val *value
}

type parser struct {
	src string
	pos int
}

func (p *parser) errorf(pos int, format string, args ...any) error {
	msg := strconv.Quote(p.src)
	return errors.Errorf("schedules: parse %s: at offset %d: %s", msg, pos,
		fmt.Sprintf(format, args...))
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// describe names the token at the current position for an error.
func (p *parser) describe() string {
	if p.pos >= len(p.src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return strconv.QuoteRune(r)
}

func (p *parser) expect(c byte) error {
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return nil
	}
	return p.errorf(p.pos, "expected %q, found %s", c, p.describe())
}

func isLetter(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

func isNameByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '.' || c == '/' }

func isNumberByte(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '.' || c == '+' || c == '-'
}

// parseValue reads a number, a pair, a name, a quoted name or a call.
func (p *parser) parseValue(depth int) (*value, error) {
	if depth > maxDepth {
		return nil, p.errorf(p.pos, "calls nested deeper than %d", maxDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf(p.pos, "expected a value, found end of input")
	}

	start := p.pos
	c := p.src[p.pos]
	switch {
	case c == '"':
		text, err := p.readQuoted()
		if err != nil {
			return nil, err
		}
		return &value{kind: nameValue, pos: start, text: text}, nil
	case isLetter(c):
		for p.pos < len(p.src) && isNameByte(p.src[p.pos]) {
			p.pos++
		}
		name := p.src[start:p.pos]
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == '(' {
			return p.parseCall(name, start, depth)
		}
		return &value{kind: nameValue, pos: start, text: name}, nil
	case isDigit(c) || c == '.' || c == '+' || c == '-':
		num, err := p.readNumber()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ':' {
			p.pos++
			right, err := p.parseValue(depth + 1)
			if err != nil {
				return nil, err
			}
			return &value{kind: pairValue, pos: start, text: num.text, num: num.num,
				right: right}, nil
		}
		return num, nil
	}
	return nil, p.errorf(p.pos, "expected a value, found %s", p.describe())
}

func (p *parser) readNumber() (*value, error) {
	start := p.pos
	p.pos++
	for p.pos < len(p.src) && isNumberByte(p.src[p.pos]) {
		// A sign continues a number only right after an exponent mark.
		if c := p.src[p.pos]; c == '+' || c == '-' {
			prev := p.src[p.pos-1]
			if prev != 'e' && prev != 'E' && prev != 'p' && prev != 'P' {
				break
			}
		}
		p.pos++
	}
	text := p.src[start:p.pos]
	num, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, p.errorf(start, "invalid number %q", text)
	}
	return &value{kind: numberValue, pos: start, text: text, num: num}, nil
}

// readQuoted reads a Go double-quoted string literal.
func (p *parser) readQuoted() (string, error) {
	start := p.pos
	p.pos++
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '\\':
			p.pos += 2
			continue
		case '"':
			p.pos++
			text, err := strconv.Unquote(p.src[start:p.pos])
			if err != nil {
				return "", p.errorf(start, "invalid quoted name %s", p.src[start:p.pos])
			}
			return text, nil
		}
		p.pos++
	}
	return "", p.errorf(start, "quoted name is not closed")
}

func (p *parser) parseCall(name string, start, depth int) (*value, error) {
	p.pos++ // the '('
	call := &value{kind: callValue, pos: start, text: name}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
		return call, nil
	}
	for {
		arg, err := p.parseArgument(depth)
		if err != nil {
			return nil, err
		}
		call.args = append(call.args, arg)
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		return call, nil
	}
}

// parseArgument reads "key=value" or a positional value.
func (p *parser) parseArgument(depth int) (argument, error) {
	v, err := p.parseValue(depth + 1)
	if err != nil {
		return argument{}, err
	}
	p.skipSpace()
	if v.kind != nameValue || p.pos >= len(p.src) || p.src[p.pos] != '=' {
		return argument{val: v}, nil
	}
	p.pos++
	val, err := p.parseValue(depth + 1)
	if err != nil {
		return argument{}, err
	}
	return argument{key: v.text, val: val}, nil
}

// binding matches a call's arguments to named parameters.
type binding struct {
	fn   string
	vals []*value // by parameter, nil when not given
}

// bind assigns positional arguments in order and key=value arguments by
// name. It rejects unknown keys, a key given twice, too many arguments,
// positional arguments after keyed ones, and missing required ones (the
// first required parameters).
func bind(call *value, params []string, required int) (*binding, error) {
	b := &binding{fn: call.text, vals: make([]*value, len(params))}
	keyed := false
	for i, arg := range call.args {
		if arg.key == "" {
			if keyed {
				return nil, errorf(b.fn, "positional argument %d follows a key=value argument",
					i+1)
			}
			if i >= len(params) {
				return nil, errorf(b.fn, "got %d arguments, expected at most %d (%s)",
					len(call.args), len(params), strings.Join(params, ", "))
			}
			b.vals[i] = arg.val
			continue
		}
		keyed = true
		j := indexOf(params, arg.key)
		if j < 0 {
			return nil, errorf(b.fn, "unknown argument %q (expected one of %s)", arg.key,
				strings.Join(params, ", "))
		}
		if b.vals[j] != nil {
			return nil, errorf(b.fn, "argument %s is given twice", arg.key)
		}
		b.vals[j] = arg.val
	}
	for i := 0; i < required; i++ {
		if b.vals[i] == nil {
			return nil, errorf(b.fn, "missing argument %q (got %d of the %d required: %s)",
				params[i], len(call.args), required, strings.Join(params[:required], ", "))
		}
	}
	return b, nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// float returns parameter i as a number, or def when it is absent.
func (b *binding) float(i int, name string, def float64) (float64, error) {
	v := b.vals[i]
	if v == nil {
		return def, nil
	}
	return numberOf(b.fn, name, v)
}

func numberOf(fn, name string, v *value) (float64, error) {
	if v.kind != numberValue {
		return 0, errorf(fn, "%s (%s) is not a finite number", name, v.describe())
	}
	if math.IsInf(v.num, 0) || math.IsNaN(v.num) {
		return 0, errorf(fn, "%s (%s) is not a finite number", name, v.text)
	}
	return v.num, nil
}

// step returns parameter i as a whole number of steps, or def when absent.
func (b *binding) step(i int, name string, def int) (int, error) {
	v := b.vals[i]
	if v == nil {
		return def, nil
	}
	return stepOf(b.fn, name, v)
}

func stepOf(fn, name string, v *value) (int, error) {
	if v.kind != numberValue {
		return 0, errorf(fn, "%s (%s) is not a finite number", name, v.describe())
	}
	if math.Abs(v.num) > MaxStep {
		return 0, errorf(fn, "%s (%s) is beyond the maximum step %d", name, v.text, MaxStep)
	}
	if v.num != math.Trunc(v.num) {
		return 0, errorf(fn, "%s (%s) is not a whole number of steps", name, v.text)
	}
	return int(v.num), nil
}

// schedule returns parameter i as a schedule, or def when absent.
func (b *binding) schedule(i int, name string, def Schedule) (Schedule, error) {
	v := b.vals[i]
	if v == nil {
		return def, nil
	}
	return scheduleOf(b.fn, name, v)
}

func scheduleOf(fn, name string, v *value) (Schedule, error) {
	switch v.kind {
	case callValue:
		return buildSchedule(v)
	case numberValue:
		num, err := numberOf(fn, name, v)
		if err != nil {
			return nil, err
		}
		return Constant{Value: num}, nil
	}
	return nil, errorf(fn, "%s (%s) is not a schedule", name, v.describe())
}

// name returns parameter i as a name, or def when absent.
func (b *binding) name(i int, param string, def string) (string, error) {
	v := b.vals[i]
	if v == nil {
		return def, nil
	}
	if v.kind != nameValue {
		return "", errorf(b.fn, "%s (%s) is not a name", param, v.describe())
	}
	return v.text, nil
}

// describe returns a short text of v for an error message.
func (v *value) describe() string {
	switch v.kind {
	case callValue:
		return v.text + "(...)"
	case pairValue:
		return v.text + ":" + v.right.describe()
	case nameValue:
		return formatName(v.text)
	}
	return v.text
}

// formatName writes a name bare when it parses back as one, and quoted
// otherwise.
func formatName(s string) string {
	if s != "" && isLetter(s[0]) {
		bare := true
		for i := 0; i < len(s); i++ {
			if !isNameByte(s[i]) {
				bare = false
				break
			}
		}
		if bare {
			return s
		}
	}
	return strconv.Quote(s)
}

// builders maps a function name to the code that builds its schedule.
// It is filled in init to break the cycle through buildSchedule.
var builders map[string]func(*value) (Schedule, error)

func init() {
	builders = map[string]func(*value) (Schedule, error){
		"constant": buildConstant,
		"linear":   buildRamp("linear"),
		"poly":     buildPoly,
		"exp":      buildRamp("exp"),
		"cosine":   buildRamp("cosine"),
		"onecycle": buildRamp("onecycle"),
		"steps":    buildSteps,
		"cyclic":   buildCyclic,
		"restarts": buildRestarts,
		"every":    buildEvery,
		"delay":    buildDelay,
		"scale":    buildScale,
		"clamp":    buildClamp,
		"join":     buildJoin,
	}
	for name, build := range adaptiveBuilders {
		builders[name] = build
	}
}

// buildSchedule builds and validates the schedule of a call.
func buildSchedule(call *value) (Schedule, error) {
	build, ok := builders[call.text]
	if !ok {
		return nil, errors.Errorf("schedules: unknown function %q (expected one of %s)",
			call.text, strings.Join(functionNames(), ", "))
	}
	s, err := build(call)
	if err != nil {
		return nil, err
	}
	if v, ok := s.(Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// functionNames returns the names Parse accepts, in a fixed order.
func functionNames() []string {
	return []string{"constant", "linear", "poly", "exp", "cosine", "steps", "cyclic",
		"restarts", "onecycle", "every", "delay", "scale", "clamp", "join",
		"track", "plateau", "dual", "guard", "milestones"}
}

func buildConstant(call *value) (Schedule, error) {
	b, err := bind(call, []string{"value"}, 1)
	if err != nil {
		return nil, err
	}
	v, err := b.float(0, "value", 0)
	return Constant{Value: v}, err
}

// rampArgs reads the four arguments shared by the ramps.
func rampArgs(b *binding, names [4]string) (a, c float64, start, end int, err error) {
	if a, err = b.float(0, names[0], 0); err != nil {
		return
	}
	if c, err = b.float(1, names[1], 0); err != nil {
		return
	}
	if start, err = b.step(2, names[2], 0); err != nil {
		return
	}
	end, err = b.step(3, names[3], 0)
	return
}

func buildRamp(fn string) func(*value) (Schedule, error) {
	names := [4]string{"from", "to", "start", "end"}
	if fn == "onecycle" {
		names = [4]string{"low", "high", "start", "end"}
	}
	return func(call *value) (Schedule, error) {
		b, err := bind(call, names[:], 4)
		if err != nil {
			return nil, err
		}
		from, to, start, end, err := rampArgs(b, names)
		if err != nil {
			return nil, err
		}
		switch fn {
		case "linear":
			return Linear{From: from, To: to, Start: start, End: end}, nil
		case "exp":
			return Exp{From: from, To: to, Start: start, End: end}, nil
		case "cosine":
			return Cosine{From: from, To: to, Start: start, End: end}, nil
		}
		return OneCycle{Low: from, High: to, Start: start, End: end}, nil
	}
}

func buildPoly(call *value) (Schedule, error) {
	names := [4]string{"from", "to", "start", "end"}
	b, err := bind(call, append(names[:], "power"), 4)
	if err != nil {
		return nil, err
	}
	from, to, start, end, err := rampArgs(b, names)
	if err != nil {
		return nil, err
	}
	power, err := b.float(4, "power", DefaultPower)
	if err != nil {
		return nil, err
	}
	return Poly{From: from, To: to, Start: start, End: end, Power: power}, nil
}

func buildSteps(call *value) (Schedule, error) {
	if len(call.args) == 0 {
		return nil, errorf("steps", `missing argument "initial" (expected initial, step:value, ...)`)
	}
	var s Steps
	for i, arg := range call.args {
		if arg.key != "" {
			return nil, errorf("steps", "unknown argument %q (steps takes positional "+
				"arguments only)", arg.key)
		}
		if i == 0 {
			v, err := numberOf("steps", "initial value", arg.val)
			if err != nil {
				return nil, err
			}
			s.Initial = v
			continue
		}
		name := "boundary " + strconv.Itoa(i)
		if arg.val.kind != pairValue {
			return nil, errorf("steps", "%s (%s) is not of the form step:value", name,
				arg.val.describe())
		}
		left := &value{kind: numberValue, text: arg.val.text, num: arg.val.num}
		step, err := stepOf("steps", name, left)
		if err != nil {
			return nil, err
		}
		v, err := numberOf("steps", "value at "+name, arg.val.right)
		if err != nil {
			return nil, err
		}
		s.Points = append(s.Points, Point{Step: step, Value: v})
	}
	return s, nil
}

func buildCyclic(call *value) (Schedule, error) {
	b, err := bind(call, []string{"low", "high", "period"}, 3)
	if err != nil {
		return nil, err
	}
	var c Cyclic
	if c.Low, err = b.float(0, "low", 0); err != nil {
		return nil, err
	}
	if c.High, err = b.float(1, "high", 0); err != nil {
		return nil, err
	}
	c.Period, err = b.step(2, "period", 0)
	return c, err
}

func buildRestarts(call *value) (Schedule, error) {
	b, err := bind(call, []string{"from", "to", "period", "mult"}, 3)
	if err != nil {
		return nil, err
	}
	var r Restarts
	if r.From, err = b.float(0, "from", 0); err != nil {
		return nil, err
	}
	if r.To, err = b.float(1, "to", 0); err != nil {
		return nil, err
	}
	if r.Period, err = b.step(2, "period", 0); err != nil {
		return nil, err
	}
	r.Mult, err = b.float(3, "mult", 1)
	return r, err
}

func buildEvery(call *value) (Schedule, error) {
	b, err := bind(call, []string{"n", "schedule"}, 2)
	if err != nil {
		return nil, err
	}
	var e Every
	if e.N, err = b.step(0, "n", 0); err != nil {
		return nil, err
	}
	e.S, err = b.schedule(1, "schedule", nil)
	return e, err
}

func buildDelay(call *value) (Schedule, error) {
	b, err := bind(call, []string{"steps", "schedule"}, 2)
	if err != nil {
		return nil, err
	}
	var d Delay
	if d.Steps, err = b.step(0, "steps", 0); err != nil {
		return nil, err
	}
	d.S, err = b.schedule(1, "schedule", nil)
	return d, err
}

func buildScale(call *value) (Schedule, error) {
	b, err := bind(call, []string{"factor", "schedule"}, 2)
	if err != nil {
		return nil, err
	}
	var s Scale
	if s.Factor, err = b.float(0, "factor", 0); err != nil {
		return nil, err
	}
	s.S, err = b.schedule(1, "schedule", nil)
	return s, err
}

func buildClamp(call *value) (Schedule, error) {
	b, err := bind(call, []string{"low", "high", "schedule"}, 3)
	if err != nil {
		return nil, err
	}
	var c Clamp
	if c.Low, err = b.float(0, "low", 0); err != nil {
		return nil, err
	}
	if c.High, err = b.float(1, "high", 0); err != nil {
		return nil, err
	}
	c.S, err = b.schedule(2, "schedule", nil)
	return c, err
}

func buildJoin(call *value) (Schedule, error) {
	b, err := bind(call, []string{"first", "step", "second"}, 3)
	if err != nil {
		return nil, err
	}
	var j Join
	if j.First, err = b.schedule(0, "first", nil); err != nil {
		return nil, err
	}
	if j.Step, err = b.step(1, "step", 0); err != nil {
		return nil, err
	}
	j.Second, err = b.schedule(2, "second", nil)
	return j, err
}
