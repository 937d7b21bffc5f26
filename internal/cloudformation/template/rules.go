package template

// rule is one member of the Rules section: assertions on the parameter values,
// checked when the rule's condition holds.
type rule struct {
	name    string
	cond    *node
	asserts []assertion
}

type assertion struct {
	assert *node
	desc   string
}

func (t *Template) parseRules(sec *node) error {
	if err := sectionMap(sec, "Rules"); err != nil {
		return err
	}
	for i, name := range sec.keys {
		rn := sec.items[i]
		if rn.kind != kindMap {
			return formatError(rn, "Every Rules member must be an object.")
		}
		r := &rule{name: name}
		for j, k := range rn.keys {
			if k != "RuleCondition" && k != "Assertions" {
				return errKey(rn, j, "Template format error: Invalid rule property '%s'", k)
			}
		}
		r.cond = rn.get("RuleCondition")
		as := rn.get("Assertions")
		if as == nil || as.kind != kindList || len(as.items) == 0 {
			return formatError(rn, "Every Rules member must contain a list of Assertions.")
		}
		for _, an := range as.items {
			a := assertion{assert: an.get("Assert")}
			if an.kind != kindMap || a.assert == nil {
				return formatError(an, "Every Assertions member must contain an Assert.")
			}
			for j, k := range an.keys {
				if k != "Assert" && k != "AssertDescription" {
					return errKey(an, j, "Template format error: Invalid assertion property '%s'", k)
				}
			}
			if d := an.get("AssertDescription"); d != nil {
				s, ok := d.scalarText()
				if !ok {
					return formatError(d, "Every AssertDescription member must be a string.")
				}
				a.desc = s
			}
			r.asserts = append(r.asserts, a)
		}
		t.rules = append(t.rules, r)
	}
	return nil
}

// checkRules checks the Rules section against resolved parameter values: for each
// rule whose RuleCondition holds (or that has none), every Assert must hold; a
// failed one is reported with its AssertDescription.
func (t *Template) checkRules(values map[string]any) error {
	if len(t.rules) == 0 {
		return nil
	}
	e := newEvaluator(t, &Env{Parameters: values}, nil)
	e.mode = modeRules
	for _, r := range t.rules {
		if r.cond != nil {
			on, err := e.boolOf(r.cond)
			if err != nil {
				return err
			}
			if !on {
				continue
			}
		}
		for _, a := range r.asserts {
			ok, err := e.boolOf(a.assert)
			if err != nil {
				return err
			}
			if !ok {
				msg := a.desc
				if msg == "" {
					msg = "Template error: an assertion of rule " + r.name + " failed"
				}
				return errAt(a.assert, "%s", msg)
			}
		}
	}
	return nil
}

// ruleFunction evaluates the Rules section's list functions.
func (e *evaluator) ruleFunction(n *node) (bool, error) {
	a := n.arg()
	if a == nil || a.kind != kindList || len(a.items) != 2 {
		return false, templateError(n, "%s requires a list argument with two elements", n.s)
	}
	lv, err := e.eval(a.items[0])
	if err != nil {
		return false, err
	}
	list, ok := lv.([]any)
	if !ok {
		return false, templateError(n, "the first element of %s must be a list", n.s)
	}
	second, err := e.eval(a.items[1])
	if err != nil {
		return false, err
	}
	switch n.s {
	case "Fn::Contains":
		for _, it := range list {
			if equalValues(it, second) {
				return true, nil
			}
		}
		return false, nil
	case "Fn::EachMemberEquals":
		for _, it := range list {
			if !equalValues(it, second) {
				return false, nil
			}
		}
		return true, nil
	}
	// Fn::EachMemberIn
	allowed, ok := second.([]any)
	if !ok {
		return false, templateError(n, "the second element of %s must be a list", n.s)
	}
	for _, it := range list {
		found := false
		for _, al := range allowed {
			if equalValues(it, al) {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}
