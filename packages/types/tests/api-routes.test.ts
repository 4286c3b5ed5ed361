import { API_ROUTES } from '../src';

describe('API_ROUTES', () => {
  it('documents 403 (another user’s device) and 404 (unknown device) on every route of a device', () => {
    // Prepare
    const deviceRoutes = API_ROUTES.filter((route) => route.path.includes('{deviceId}'));

    // Assess
    expect(deviceRoutes.length).toBeGreaterThan(0);
    const missing = deviceRoutes
      .filter((route) => !route.problems.includes(403) || !route.problems.includes(404))
      .map((route) => `${route.method} ${route.path}`);
    expect(missing).toEqual([]);
  });

  it('protects every route with the authorizer but the API document', () => {
    // Assess
    expect(API_ROUTES.filter((route) => !route.authenticated).map((route) => route.path)).toEqual(['/openapi.json']);
  });
});
