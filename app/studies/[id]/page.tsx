import StudyViewer from '../../_components/StudyViewer';

export default async function StudyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <StudyViewer studyId={id} />;
}
