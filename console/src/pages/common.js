// What several pages share: a subject's label (its trial subject id, pseudonymous) and the
// trialbridge extensions they read.
import { ext, kSd } from '../fhir.js';

export function subjectLabel(rs) {
  const id = (rs.identifier || []).find((i) => i.type?.coding?.some((c) => c.code === 'subject-id')) || rs.identifier?.[0];
  return id?.value || rs.id;
}

// The tb-timepoint extension: {timepoint, occurrence, placement, distance} or null.
export function placement(r) {
  const x = ext(r, `${kSd}tb-timepoint`)[0];
  if (!x) return null;
  const part = (n) => (x.extension || []).find((p) => p.url === n);
  const d = part('distance')?.valueDuration;
  return {
    timepoint: part('timepoint')?.valueString,
    occurrence: part('occurrence')?.valuePositiveInt,
    placement: part('placement')?.valueCode || 'in-window',
    distance: d ? `${d.value} ${d.unit || d.code || ''}`.trim() : '',
  };
}

export function grade(ae) {
  const g = ext(ae, `${kSd}tb-ctcae-grade`)[0];
  return g?.valueCodeableConcept?.coding?.[0]?.code || g?.valueCode || '';
}

export function relatedness(ae) {
  const c = ae.suspectEntity?.flatMap((s) => s.causality || []) || [];
  return c.map((x) => x.assessment?.coding?.[0]?.code || x.productRelatedness || x.assessment?.text).filter(Boolean).join(', ');
}

export function serious(ae) {
  const code = ae.seriousness?.coding?.[0]?.code;
  if (!code) return '';
  return code === 'Non-serious' ? 'no' : 'yes';
}

export function effective(r) {
  return r.effectiveDateTime || r.effectivePeriod?.start || r.effectiveInstant || r.occurrenceDateTime || '';
}

// Subjects of every study, by the reference of their Patient ('Patient/x' -> ResearchSubject).
export function byPatient(subjects) {
  return new Map(subjects.filter((s) => s.individual?.reference).map((s) => [s.individual.reference, s]));
}
