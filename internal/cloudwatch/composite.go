package cloudwatch

import (
	"fmt"
	"strings"
)

// Composite alarm rules (PutCompositeAlarm AlarmRule):
//
//	rule    = or
//	or      = and { "OR" and }
//	and     = not { "AND" not }
//	not     = "NOT" not | primary
//	primary = "(" rule ")" | "TRUE" | "FALSE"
//	        | ("ALARM" | "OK" | "INSUFFICIENT_DATA") "(" name ")"
//
// A name is an alarm name or ARN, in double quotes (with \" and \\ escapes) or bare
// (everything up to the closing parenthesis, trimmed). Keywords are case-insensitive.

const maxRuleLen = 10240

// ruleNode is a parsed alarm rule.
type ruleNode struct {
	op    string // "AND", "OR", "NOT", "TRUE", "FALSE", or a state function
	alarm string // the alarm of a state function
	args  []*ruleNode
}

type ruleParser struct {
	src   string
	i     int
	depth int
}

// parseRule parses a composite alarm rule.
func parseRule(src string) (*ruleNode, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("the alarm rule is empty")
	}
	if len(src) > maxRuleLen {
		return nil, fmt.Errorf("the alarm rule is longer than %d characters", maxRuleLen)
	}
	p := &ruleParser{src: src}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.src) {
		return nil, p.errorf("unexpected %q", p.rest())
	}
	return n, nil
}

func (p *ruleParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%s at position %d", fmt.Sprintf(format, args...), p.i+1)
}

func (p *ruleParser) rest() string {
	r := p.src[p.i:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *ruleParser) space() {
	for p.i < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.i]) >= 0 {
		p.i++
	}
}

// word reads the next keyword (letters and underscores), without consuming it.
func (p *ruleParser) word() string {
	p.space()
	j := p.i
	for j < len(p.src) && (p.src[j] == '_' || p.src[j] >= 'a' && p.src[j] <= 'z' || p.src[j] >= 'A' && p.src[j] <= 'Z') {
		j++
	}
	return strings.ToUpper(p.src[p.i:j])
}

func (p *ruleParser) enter() error {
	p.depth++
	if p.depth > 100 {
		return p.errorf("the rule nests too deeply")
	}
	return nil
}

func (p *ruleParser) or() (*ruleNode, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.word() == "OR" {
		p.i += 2
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &ruleNode{op: "OR", args: []*ruleNode{l, r}}
	}
	return l, nil
}

func (p *ruleParser) and() (*ruleNode, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.word() == "AND" {
		p.i += 3
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &ruleNode{op: "AND", args: []*ruleNode{l, r}}
	}
	return l, nil
}

func (p *ruleParser) not() (*ruleNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if p.word() == "NOT" {
		p.i += 3
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &ruleNode{op: "NOT", args: []*ruleNode{x}}, nil
	}
	return p.primary()
}

func (p *ruleParser) primary() (*ruleNode, error) {
	p.space()
	if p.i < len(p.src) && p.src[p.i] == '(' {
		p.i++
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.src) || p.src[p.i] != ')' {
			return nil, p.errorf("expected ')'")
		}
		p.i++
		return x, nil
	}
	w := p.word()
	switch w {
	case "TRUE", "FALSE":
		p.i += len(w)
		return &ruleNode{op: w}, nil
	case "ALARM", "OK", "INSUFFICIENT_DATA":
		p.i += len(w)
		p.space()
		if p.i >= len(p.src) || p.src[p.i] != '(' {
			return nil, p.errorf("expected '(' after %s", w)
		}
		p.i++
		name, err := p.name()
		if err != nil {
			return nil, err
		}
		return &ruleNode{op: w, alarm: name}, nil
	case "":
		if p.i >= len(p.src) {
			return nil, p.errorf("unexpected end of the rule")
		}
		return nil, p.errorf("unexpected %q", p.rest())
	}
	return nil, p.errorf("unknown function or keyword %q (expected ALARM, OK, INSUFFICIENT_DATA, TRUE, FALSE, NOT or a parenthesis)", w)
}

// name reads an alarm name and the closing parenthesis.
func (p *ruleParser) name() (string, error) {
	p.space()
	var name string
	if p.i < len(p.src) && p.src[p.i] == '"' {
		var b strings.Builder
		j := p.i + 1
		for ; j < len(p.src) && p.src[j] != '"'; j++ {
			if p.src[j] == '\\' && j+1 < len(p.src) {
				j++
			}
			b.WriteByte(p.src[j])
		}
		if j >= len(p.src) {
			return "", p.errorf("unterminated alarm name")
		}
		p.i = j + 1
		name = b.String()
		p.space()
		if p.i >= len(p.src) || p.src[p.i] != ')' {
			return "", p.errorf("expected ')' after the alarm name")
		}
	} else {
		j := strings.IndexByte(p.src[p.i:], ')')
		if j < 0 {
			return "", p.errorf("expected ')' after the alarm name")
		}
		name = strings.TrimSpace(p.src[p.i : p.i+j])
		p.i += j
	}
	p.i++ // ')'
	if name == "" {
		return "", p.errorf("empty alarm name")
	}
	return name, nil
}

// alarms appends the alarm names (or ARNs) the rule refers to.
func (n *ruleNode) alarms(out []string) []string {
	if n.alarm != "" {
		out = append(out, n.alarm)
	}
	for _, a := range n.args {
		out = a.alarms(out)
	}
	return out
}

// eval evaluates the rule given each referenced alarm's state.
func (n *ruleNode) eval(state func(alarm string) string) bool {
	switch n.op {
	case "TRUE":
		return true
	case "FALSE":
		return false
	case "NOT":
		return !n.args[0].eval(state)
	case "AND":
		return n.args[0].eval(state) && n.args[1].eval(state)
	case "OR":
		return n.args[0].eval(state) || n.args[1].eval(state)
	}
	return state(n.alarm) == n.op
}
