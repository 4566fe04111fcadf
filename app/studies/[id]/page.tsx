import StudyKindSwitch from '../../_components/pointcloud/StudyKindSwitch';

/** A study: volumes open in the NiiVue StudyViewer, point clouds in the three.js PointCloudStudy. */
export default async function StudyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <StudyKindSwitch studyId={id} />;
}
