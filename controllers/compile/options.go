package compile

import (
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/types"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// vhoIR is a compiled VirtualHostOption. Its JWT fields (jwt, jwtStaged) are one
// field for merging, and so is rbac.
type vhoIR struct {
	obj   *gatewayv1.VirtualHostOption
	state *policyState
	// stages are indexed by snapshotv1.JwtStageName; nil when the stage is unset.
	stages [2]*jwtStageIR
	// rbac is nil when rbac.disable is set.
	rbac *snapshotv1.Rbac
	// survey is what claimgate does with each option; features the compiled options
	// beyond jwt and rbac.
	survey   *optionSurvey
	features *routeFeatures
}

// rtoIR is a compiled RouteOption. It depends only on the RouteOption and on the
// environment (Upstreams, VirtualHostOption names), so a Compiler may reuse it.
type rtoIR struct {
	obj *gatewayv1.RouteOption
	// invalid and unresolved are the problems found while compiling it.
	invalid, unresolved problems
	// disable turns a stage of the virtual host off (jwt.disable is afterExtAuth).
	disable [2]bool
	// replace replaces a stage of the virtual host (jwtProvidersStaged).
	replace [2]*jwtStageIR
	rbac    *snapshotv1.Rbac
	// websocketDisabled is set by options.upgrades {websocket: {enabled: false}}.
	websocketDisabled bool
	// survey is what claimgate does with each option; features the compiled options
	// beyond jwt, rbac and upgrades.
	survey   *optionSurvey
	features *routeFeatures
	// status is the last status computed for the option and statusSources what it was
	// computed from; a Compiler reuses it while they stay the same.
	status        *gatewayv1.PolicyStatus
	statusSources []any
	// key and uid identify the option; targets are the routes its targetRefs may name.
	key     types.NamespacedName
	uid     types.UID
	targets []types.NamespacedName
}

// compileOptions compiles every VirtualHostOption and RouteOption once, whatever
// they attach to; attaching and merging come later.
func (c *compiler) compileOptions() {
	for _, o := range c.idx.sortedVHOs {
		c.vhos[nsName(o)] = c.compileVHO(o)
	}
	for _, o := range c.idx.sortedRTOs {
		c.rtos[nsName(o)] = c.cachedRTO(o)
	}
}

func (c *compiler) compileVHO(o *gatewayv1.VirtualHostOption) *vhoIR {
	ir := &vhoIR{obj: o, state: newPolicyState(kindVirtualHostOption, o)}
	ref := optionRef{state: ir.state, idPrefix: o.Namespace + "/" + o.Name, ns: o.Namespace}
	opts := &o.Spec.Options
	switch {
	case opts.Jwt != nil:
		ir.stages[afterExtAuth] = c.compileStage(ref, afterExtAuth, opts.Jwt, "jwt", nil)
	case opts.JwtStaged != nil:
		ir.stages = c.compileStaged(ref, opts.JwtStaged.BeforeExtAuth, opts.JwtStaged.AfterExtAuth, "jwtStaged")
	}
	if opts.Rbac != nil {
		var probs problems
		ir.rbac, probs = compileRbac(opts.Rbac)
		ir.state.invalid = append(ir.state.invalid, probs...)
	}
	ir.survey = surveyOptions(vhostFields, vhostOptionClasses, opts, kindVirtualHostOption)
	ir.features = compileVHostFeatures(optionCompiler{survey: ir.survey, state: ir.state}, opts)
	c.checkRateLimitRefs(ir.state, ir.features.rateLimits)
	surveyJwt(ir.survey, "options.jwt", opts.Jwt)
	if st := opts.JwtStaged; st != nil {
		surveyJwt(ir.survey, "options.jwtStaged.beforeExtAuth", st.BeforeExtAuth)
		surveyJwt(ir.survey, "options.jwtStaged.afterExtAuth", st.AfterExtAuth)
	}
	if o.Spec.NamespacedStatuses != nil {
		ir.survey.ignore("namespacedStatuses", "claimgate reports in status; it changes nothing")
	}
	ir.state.adoptSurvey(ir.survey)
	return ir
}

// compileStaged compiles both stages of jwtStaged or jwtProvidersStaged.
func (c *compiler) compileStaged(ref optionRef, before, after *gatewayv1.JwtVhostExtension, field string) [2]*jwtStageIR {
	var out [2]*jwtStageIR
	afterNames := map[string]bool{}
	if after != nil {
		for name := range after.Providers {
			afterNames[name] = true
		}
		out[afterExtAuth] = c.compileStage(ref, afterExtAuth, after, field+".afterExtAuth", nil)
	}
	if before != nil {
		out[beforeExtAuth] = c.compileStage(ref, beforeExtAuth, before, field+".beforeExtAuth", afterNames)
	}
	return out
}

func (c *compiler) compileRTO(o *gatewayv1.RouteOption) *rtoIR {
	ir := &rtoIR{obj: o, key: nsName(o), uid: o.UID, targets: routeTargets(o)}
	state := newPolicyState(kindRouteOption, o)
	prefix := o.Namespace + "/" + o.Name
	if _, clash := c.idx.vhos[nsName(o)]; clash {
		// Keep provider ids unique when a VirtualHostOption has the same name.
		prefix += "#" + kindRouteOption
	}
	ref := optionRef{state: state, idPrefix: prefix, ns: o.Namespace}
	opts := &o.Spec.Options
	switch {
	case opts.Jwt != nil:
		ir.disable[afterExtAuth] = opts.Jwt.Disable
	case opts.JwtStaged != nil:
		ir.disable[beforeExtAuth] = opts.JwtStaged.BeforeExtAuth != nil && opts.JwtStaged.BeforeExtAuth.Disable
		ir.disable[afterExtAuth] = opts.JwtStaged.AfterExtAuth != nil && opts.JwtStaged.AfterExtAuth.Disable
	case opts.JwtProvidersStaged != nil:
		ps := opts.JwtProvidersStaged
		ir.replace = c.compileStaged(ref, ps.BeforeExtAuth, ps.AfterExtAuth, "jwtProvidersStaged")
	}
	if opts.Rbac != nil {
		var probs problems
		ir.rbac, probs = compileRbac(opts.Rbac)
		state.invalid = append(state.invalid, probs...)
	}
	if len(opts.Upgrades) > 0 {
		for _, u := range opts.Upgrades {
			if u.Websocket != nil && u.Websocket.Enabled != nil {
				ir.websocketDisabled = !*u.Websocket.Enabled // the last one wins, as in Envoy
			}
		}
	}
	ir.survey = surveyOptions(routeFields, routeOptionClasses, opts, kindRouteOption)
	oc := optionCompiler{survey: ir.survey, state: state}
	ir.features = compileRouteFeatures(oc, opts)
	ir.features.guard = c.resolveGuardSecret(oc, o, ir.features.guard)
	c.checkRateLimitRefs(state, ir.features.rateLimits)
	if ps := opts.JwtProvidersStaged; ps != nil {
		surveyJwt(ir.survey, "options.jwtProvidersStaged.beforeExtAuth", ps.BeforeExtAuth)
		surveyJwt(ir.survey, "options.jwtProvidersStaged.afterExtAuth", ps.AfterExtAuth)
	}
	if o.Spec.NamespacedStatuses != nil {
		ir.survey.ignore("namespacedStatuses", "claimgate reports in status; it changes nothing")
	}
	state.adoptSurvey(ir.survey)
	ir.invalid, ir.unresolved = state.invalid, state.unresolved
	return ir
}

// surveyJwt notes the JWT provider fields claimgate ignores, in the stage at path.
func surveyJwt(s *optionSurvey, path string, st *gatewayv1.JwtVhostExtension) {
	if st == nil {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(st.Providers)) {
		if st.Providers[name].AttachFailedStatusToMetadata != "" {
			s.ignore(path+".providers."+name+".attachFailedStatusToMetadata", "claimgate has no dynamic metadata; it changes nothing")
		}
	}
}
