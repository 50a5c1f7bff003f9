import { RouteTable } from './route-table';

describe('RouteTable', () => {
  const table = new RouteTable();
  table.add(['GET', 'HEAD'], '/v2/Users');
  table.add('POST', '/v2/Users');
  table.add('GET', '/v2/Users/:id');
  table.add(['PUT', 'PATCH', 'DELETE'], '/v2/Users/:id');
  table.add('GET', '/');

  it.each([
    ['/v2/Users', ['GET', 'HEAD', 'POST']],
    ['/v2/users/', ['GET', 'HEAD', 'POST']],
    ['/v2/Users?filter=x', ['GET', 'HEAD', 'POST']],
    ['/v2/Users/abc', ['DELETE', 'GET', 'PATCH', 'PUT']],
    ['/', ['GET']],
    ['/v2/Users/abc/def', []],
    ['/nothing', []],
  ])('%s allows %j', (url, methods) => {
    expect(table.allowedMethods(url)).toEqual(methods);
  });
});
