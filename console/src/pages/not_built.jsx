// A page of the navigation whose screens come in a later step: it says so and
// names the API endpoint that already does the work.
import { PageTitle } from '../components.jsx';

export function NotBuilt({ page }) {
  return (
    <>
      <PageTitle>{page.label}</PageTitle>
      <div class="notice">
        <p class="notice__title">This page is not in the console yet.</p>
        <p>
          Until it is, the API does this at <code>{page.api}</code> (see docs/api.md).
        </p>
      </div>
    </>
  );
}
