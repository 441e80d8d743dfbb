import { describe, expect, it } from 'vitest';
import { formatPhpDate, httpBuildQuery, phpUrlencode } from '../../core/template/php.ts';

// expected strings are what PHP 8 prints for the same input
describe("PHP's encodings", () => {
  it('urlencode encodes everything but letters, digits and -_. with spaces as +', () => {
    expect(phpUrlencode("a b~!*'()@/é")).toBe('a+b%7E%21%2A%27%28%29%40%2F%C3%A9');
  });

  it('http_build_query nests arrays with encoded brackets, writes booleans as 1/0 and skips nulls', () => {
    // php -r 'echo http_build_query(["b"=>"x y","a"=>[1,2],"c"=>true,"d"=>false,"e"=>null,"f"=>["k"=>"v"]]);'
    expect(httpBuildQuery({ b: 'x y', a: [1, 2], c: true, d: false, e: null, f: { k: 'v' } })).toBe(
      'b=x+y&a%5B0%5D=1&a%5B1%5D=2&c=1&d=0&f%5Bk%5D=v',
    );
  });

  it('sorted, it orders keys byte-wise at every level, as ksort does before signing', () => {
    expect(httpBuildQuery({ b: '2', B: '1', a: { z: 1, y: 2 } }, { sort: true })).toBe('B=1&a%5By%5D=2&a%5Bz%5D=1&b=2');
  });

  it('date formats with PHP characters in a time zone', () => {
    const date = new Date(Date.UTC(2024, 1, 29, 23, 5, 9));
    expect(formatPhpDate(date, 'Y-m-d H:i:s')).toBe('2024-02-29 23:05:09');
    expect(formatPhpDate(date, 'D, d M Y H:i:s O', 'Europe/Moscow')).toBe('Fri, 01 Mar 2024 02:05:09 +0300');
    expect(formatPhpDate(date, 'c', 'America/New_York')).toBe('2024-02-29T18:05:09-05:00');
    expect(formatPhpDate(date, 'j n y g A \\a\\t U L t N z')).toBe('29 2 24 11 PM at 1709247909 1 29 4 59');
  });
});
