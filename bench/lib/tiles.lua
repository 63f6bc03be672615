-- wrk script: map tile requests where about 90 % hit a hot set of 200 tiles (cached after the warm-up) and
-- 10 % ask for a tile nobody asked for before (a unique query string, so every cache must miss).
local hot = {}
local counter = 0
function setup(thread)
  thread:set("id", tostring(math.random(1, 1000000)))
end
function init(args)
  for i = 0, 199 do
    local z, y, x = 5, math.floor(i / 20), i % 20
    hot[#hot + 1] = string.format("/arcgis/rest/services/SampleWorldCities/MapServer/tile/%d/%d/%d", z, y, x)
  end
  math.randomseed(os.time() + tonumber(id))
end
function request()
  counter = counter + 1
  if math.random() < 0.9 then
    return wrk.format("GET", hot[math.random(1, #hot)])
  end
  return wrk.format("GET", string.format(
    "/arcgis/rest/services/SampleWorldCities/MapServer/tile/7/%d/%d?cold=%s-%d", counter % 128, counter % 97, id, counter))
end
