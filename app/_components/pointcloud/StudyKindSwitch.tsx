'use client';
/**
 * Picks the study page by `study.kind`: 'pointcloud' → PointCloudStudy (three.js), anything else →
 * the volume StudyViewer (NiiVue), unchanged.
 */
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../trpc';
import StudyViewer from '../StudyViewer';
import PointCloudStudy from './PointCloudStudy';

export default function StudyKindSwitch({ studyId }: { studyId: string }) {
  const trpc = useTRPC();
  const study = useQuery(trpc.studies.get.queryOptions({ id: studyId }));
  if (study.isPending) return <div className="panel empty">Loading study…</div>;
  if (study.data?.kind === 'pointcloud') return <PointCloudStudy study={study.data} />;
  // volumes, and errors (StudyViewer shows "not found" and other errors as before)
  return <StudyViewer studyId={studyId} />;
}
